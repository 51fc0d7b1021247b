import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CloseCode, ErrorCode, MAX_TOPIC_LENGTH, PROTOCOL, TOKEN_PROTOCOL_PREFIX } from './protocol.js';
import { parseServerMessage } from './server-message.js';
import { parseClientMessage, parseTopic } from './client-message.js';

// These frames are the contract embedders code against (docs/protocol.md). A rename in the types or
// parsers makes one of them fail here before it reaches anyone's UI.
const ID = '3e204e838d5c49c859700a8ad980deb3c940a6448b5318004071f7288b09d331';
const SAMPLE = `{"host":"web-01","id":"${ID}","t":1795789476787,"cpu":51.02,"cpuTime":812.37,"mem":{"used":21626880,"limit":25276063744,"percent":0.0856,"charged":23724032},"net":{"rx":1392,"tx":0,"rxRate":0,"txRate":0},"blk":{"read":0,"write":52428800,"readRate":null,"writeRate":null},"pids":1}`;

const SERVER_FRAMES: Record<string, string> = {
  hello: `{"type":"hello","protocol":"dockpulse.v1","server":"dockpulse/0.1.0","intervalMs":1000,"historyMs":900000,"limits":{"maxPayloadBytes":65536,"maxSubscriptions":256,"messagesPerSecond":20,"messageBurst":40},"scope":{"kind":"all"},"hosts":[{"name":"web-01","state":"up","lastSeen":1795789476787,"containers":1,"running":1,"engine":{"status":"up","endpoint":"unix:///var/run/docker.sock"}}]}`,
  helloShare: `{"type":"hello","protocol":"dockpulse.v1","server":"dockpulse/0.1.0","intervalMs":1000,"historyMs":900000,"limits":{"maxPayloadBytes":65536,"maxSubscriptions":256,"messagesPerSecond":20,"messageBurst":40},"scope":{"kind":"container","host":"web-01","id":"${ID}","name":"web-1"}}`,
  containers: `{"type":"containers","engine":{"status":"up","endpoint":"unix:///var/run/docker.sock"},"containers":[{"host":"web-01","id":"${ID}","name":"web-1","image":"nginx:1.27","state":"running","status":"Up 3 minutes (healthy)","health":"healthy","createdAt":1795789300000,"compose":{"project":"shop","service":"web"}}],"hosts":[{"name":"web-01","state":"up","lastSeen":1795789476787,"containers":1,"running":1,"engine":{"status":"up","endpoint":"unix:///var/run/docker.sock"}},{"name":"db-01","state":"unavailable","lastSeen":1795789400000,"containers":0,"running":0,"engine":{"status":"down","endpoint":"nats://bus:4222","error":"no heartbeat from its agent since 2026-11-27T14:23:20Z"},"conflict":"two agents claim db-01"}]}`,
  history: `{"type":"history","topic":"stats:web-01/${ID}","samples":[${SAMPLE}]}`,
  stats: `{"type":"stats","samples":[${SAMPLE.slice(0, -1)},"dropped":3}]}`,
  statsUnreported: `{"type":"stats","samples":[${SAMPLE.slice(0, -1)},"unreported":["mem","net"]}]}`,
  state: `{"type":"state","topic":"stats:${ID}","state":"stopped"}`,
  pong: `{"type":"pong","t":1795789476787}`,
  alerts: `{"type":"alerts","firing":[{"rule":{"id":"q1w2e3r4t5y6","name":"busy web"},"state":"firing","container":{"host":"web-01","id":"${ID}","name":"web-1"},"metric":"cpu","op":">","value":97.52,"threshold":80,"time":1795789476787}],"change":{"rule":{"id":"q1w2e3r4t5y6","name":"busy web"},"state":"firing","container":{"host":"web-01","id":"${ID}","name":"web-1"},"metric":"cpu","op":">","value":97.52,"threshold":80,"time":1795789476787}}`,
  error: `{"type":"error","code":"not_found","message":"no such container","topic":"stats:${ID}"}`,
  range: `{"type":"range","req":"r1","range":{"container":{"host":"web-01","id":"${ID}","name":"web-1"},"tier":"minute","step":60,"t":[1795785840000,1795785900000,1795785960000],"series":{"cpu":{"avg":[51.02,50.8,null],"min":[48.1,47.9,null],"max":[53.4,54,null]},"mem":{"avg":[21626880,21630976,null],"min":[21626880,21626880,null],"max":[21626880,21635072,null]}}}}`,
  errorRange: `{"type":"error","code":"unavailable","message":"this gateway keeps no history beyond its recent samples","req":"r2"}`,
};

test('every server message type parses from its documented frame, field for field', () => {
  for (const [type, frame] of Object.entries(SERVER_FRAMES)) {
    const parsed = parseServerMessage(frame);
    assert.ok(parsed.ok, `${type}: ${parsed.ok ? '' : parsed.error}`);
    assert.equal(parsed.value.type, type.replace(/Share$|Range$|Unreported$/, ''));
    // Nothing the frame carries is lost in parsing (every field is part of the contract).
    assert.deepEqual(parsed.value, JSON.parse(frame), type);
  }
});

test('a frame missing a field the contract promises is refused', () => {
  const cases: [string, string][] = [
    ['hello', SERVER_FRAMES['hello']!.replace('"intervalMs":1000,', '')],
    ['containers', SERVER_FRAMES['containers']!.replace('"status":"up",', '')],
    ['containers without hosts', SERVER_FRAMES['containers']!.replace(/,"hosts":.*/, '}')],
    ['sample without its host', SERVER_FRAMES['stats']!.replace('"host":"web-01",', '')],
    ['share scope without its host', SERVER_FRAMES['helloShare']!.replace('"host":"web-01",', '')],
    ['stats', SERVER_FRAMES['stats']!.replace('"rxRate":0,', '')],
    ['state', SERVER_FRAMES['state']!.replace('"stopped"', '"asleep"')],
    ['error', SERVER_FRAMES['error']!.replace('not_found', 'nope')],
    ['alerts', SERVER_FRAMES['alerts']!.replace('"state":"firing",', '"state":"odd",')],
    ['range without its request', SERVER_FRAMES['range']!.replace('"req":"r1",', '')],
    ['range with a column short of its times', SERVER_FRAMES['range']!.replace('[51.02,50.8,null]', '[51.02,50.8]')],
    ['range of an unknown figure', SERVER_FRAMES['range']!.replace('"mem":', '"disk":')],
    ['unknown', '{"type":"samples"}'],
    ['not json', '{'],
  ];
  for (const [name, frame] of cases) assert.equal(parseServerMessage(frame).ok, false, name);
});

test('client messages', () => {
  const ok: [string, unknown][] = [
    ['{"type":"ping"}', { type: 'ping' }],
    ['{"type":"subscribe","topics":["containers"]}', { type: 'subscribe', topics: ['containers'] }],
    ['{"type":"subscribe","topics":["containers"],"history":60}', { type: 'subscribe', topics: ['containers'], history: 60 }],
    ['{"type":"unsubscribe","topics":["containers"]}', { type: 'unsubscribe', topics: ['containers'] }],
    [
      '{"type":"range","req":"r1","topic":"stats:web-01/web-1","from":1795785876000,"to":1795789476000,"step":60,"metrics":["cpu","mem"]}',
      { type: 'range', req: 'r1', topic: 'stats:web-01/web-1', from: 1795785876000, to: 1795789476000, step: 60, metrics: ['cpu', 'mem'] },
    ],
  ];
  for (const [frame, want] of ok) {
    const parsed = parseClientMessage(frame, 256);
    assert.ok(parsed.ok, frame);
    assert.deepEqual(parsed.value, want);
  }
  const bad: [string, string][] = [
    ['{', ErrorCode.badJson],
    ['[]', ErrorCode.badMessage],
    ['"ping"', ErrorCode.badMessage],
    ['{"topics":[]}', ErrorCode.badMessage],
    ['{"type":"subscribe"}', ErrorCode.badMessage],
    ['{"type":"subscribe","topics":[]}', ErrorCode.badMessage],
    ['{"type":"subscribe","topics":[1]}', ErrorCode.badMessage],
    ['{"type":"subscribe","topics":"containers"}', ErrorCode.badMessage],
    ['{"type":"subscribe","topics":["a","b","c"]}', ErrorCode.badMessage],
    ['{"type":"subscribe","topics":["containers"],"history":-1}', ErrorCode.badMessage],
    ['{"type":"subscribe","topics":["containers"],"history":"60"}', ErrorCode.badMessage],
    ['{"type":"publish","topics":["containers"]}', ErrorCode.unknownType],
    ['{"type":"range","topic":"stats:web-01/web-1","from":0,"to":1}', ErrorCode.badMessage],
    ['{"type":"range","req":"r 1","topic":"stats:web-01/web-1","from":0,"to":1}', ErrorCode.badMessage],
    ['{"type":"range","req":"r1","topic":"stats:web-01/web-1","from":2,"to":1}', ErrorCode.badMessage],
    ['{"type":"range","req":"r1","topic":"stats:web-01/web-1","from":0,"to":1,"metrics":["disk"]}', ErrorCode.badMessage],
  ];
  for (const [frame, code] of bad) {
    const parsed = parseClientMessage(frame, 2);
    assert.equal(parsed.ok, false, frame);
    if (!parsed.ok) assert.equal(parsed.error.code, code, frame);
  }
});

test('topics', () => {
  assert.deepEqual(parseTopic('containers'), { ok: true, value: { kind: 'containers' } });
  assert.deepEqual(parseTopic('alerts'), { ok: true, value: { kind: 'alerts' } });
  const stats = (host: string | undefined, ref: string) => ({ ok: true, value: { kind: 'stats', host, ref } });
  assert.deepEqual(parseTopic(`stats:${ID}`), stats(undefined, ID));
  assert.deepEqual(parseTopic(`stats:web-01/${ID}`), stats('web-01', ID));
  assert.deepEqual(parseTopic('stats:web-01/shop_web.1'), stats('web-01', 'shop_web.1'));
  const bad = [
    'stats:',
    `stats:${ID.slice(0, 12)}`,
    `stats:${ID.toUpperCase()}`,
    'stats:web-1',
    'container',
    `stats:${ID}x`,
    `stats:/${ID}`,
    'stats:web-01/',
    'stats:web.01/x',
    'stats:web-01/a/b',
    'stats:web-01/-x',
    `stats:web-01/${'n'.repeat(200)}`,
  ];
  for (const t of bad) {
    const parsed = parseTopic(t);
    assert.equal(parsed.ok, false, t);
    if (!parsed.ok) assert.equal(parsed.error.code, ErrorCode.badTopic);
  }
  const long = parseTopic('x'.repeat(10_000));
  assert.ok(!long.ok && (long.error.topic ?? '').length <= MAX_TOPIC_LENGTH + 1, 'an error never echoes an unbounded topic');
});

test('names, codes and close codes are the documented ones', () => {
  assert.equal(PROTOCOL, 'dockpulse.v1');
  assert.equal(TOKEN_PROTOCOL_PREFIX, 'dockpulse.token.');
  assert.deepEqual(CloseCode, {
    normal: 1000,
    goingAway: 1001,
    invalidText: 1007,
    tooBig: 1009,
    internalError: 1011,
    protocolViolation: 4400,
    unauthorized: 4401,
    forbidden: 4403,
    slowConsumer: 4408,
    tokenExpired: 4410,
    rateLimited: 4429,
  });
  assert.deepEqual(Object.values(ErrorCode).sort(), [
    'bad_json',
    'bad_message',
    'bad_topic',
    'binary_unsupported',
    'forbidden',
    'not_found',
    'rate_limited',
    'too_many_subscriptions',
    'unavailable',
    'unknown_type',
  ]);
});
