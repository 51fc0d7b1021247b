import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_LIMITS, ErrorCode, PROTOCOL, parseServerMessage, type HostInfo, type Sample, type ServerMessage } from '@dockpulse/shared';
import {
  containersFrame,
  errorFrame,
  helloFrame,
  historyFrame,
  pongFrame,
  sampleJson,
  stateFrame,
  statsFrame,
  withDropped,
} from './frames.js';

const ID = '3e204e838d5c49c859700a8ad980deb3c940a6448b5318004071f7288b09d331';
const SAMPLE: Sample = {
  host: 'web-01',
  id: ID,
  t: 1795789476787,
  cpu: 51.02,
  mem: { used: 21626880, limit: 25276063744, percent: 0.0856 },
  net: { rx: 1392, tx: 0, rxRate: 0, txRate: null },
  blk: { read: 0, write: 52428800, readRate: null, writeRate: 10485760 },
  pids: 1,
};

const HOST_INFO: HostInfo = {
  name: 'web-01',
  state: 'unavailable',
  lastSeen: 1795789476000,
  containers: 1,
  running: 1,
  engine: { status: 'down', endpoint: 'unix:///x.sock', error: 'gone' },
};

// Each builder's output, read back by the parser every client uses, must be the message it was built from.
const cases: { name: string; frame: string; want: ServerMessage }[] = [
  {
    name: 'hello',
    frame: helloFrame({ server: 'dockpulse/test', intervalMs: 1000, historyMs: 900_000, limits: DEFAULT_LIMITS, scope: { kind: 'all' } }),
    want: {
      type: 'hello',
      protocol: PROTOCOL,
      server: 'dockpulse/test',
      intervalMs: 1000,
      historyMs: 900_000,
      limits: { ...DEFAULT_LIMITS },
      scope: { kind: 'all' },
    },
  },
  {
    name: 'hello with a container scope',
    frame: helloFrame({
      server: 'dockpulse/test',
      intervalMs: 1000,
      historyMs: 0,
      limits: DEFAULT_LIMITS,
      scope: { kind: 'container', host: 'web-01', id: ID, name: 'web-1' },
    }),
    want: {
      type: 'hello',
      protocol: PROTOCOL,
      server: 'dockpulse/test',
      intervalMs: 1000,
      historyMs: 0,
      limits: { ...DEFAULT_LIMITS },
      scope: { kind: 'container', host: 'web-01', id: ID, name: 'web-1' },
    },
  },
  {
    name: 'containers',
    frame: containersFrame(
      [
        {
          host: 'web-01',
          id: ID,
          name: 'web-1',
          image: 'nginx',
          state: 'running',
          status: 'Up 1 second',
          createdAt: 1,
          compose: { project: 'p', service: 's' },
        },
      ],
      { status: 'down', endpoint: 'unix:///x.sock', error: 'gone' },
      [HOST_INFO],
    ),
    want: {
      type: 'containers',
      containers: [
        {
          host: 'web-01',
          id: ID,
          name: 'web-1',
          image: 'nginx',
          state: 'running',
          status: 'Up 1 second',
          createdAt: 1,
          compose: { project: 'p', service: 's' },
        },
      ],
      engine: { status: 'down', endpoint: 'unix:///x.sock', error: 'gone' },
      hosts: [HOST_INFO],
    },
  },
  { name: 'empty history', frame: historyFrame(`stats:${ID}`, []), want: { type: 'history', topic: `stats:${ID}`, samples: [] } },
  {
    name: 'history',
    frame: historyFrame(`stats:${ID}`, [sampleJson(SAMPLE), sampleJson({ ...SAMPLE, t: SAMPLE.t + 1000 })]),
    want: { type: 'history', topic: `stats:${ID}`, samples: [SAMPLE, { ...SAMPLE, t: SAMPLE.t + 1000 }] },
  },
  {
    name: 'stats, one copy saying what it missed',
    frame: statsFrame([sampleJson(SAMPLE), withDropped(sampleJson(SAMPLE), 3)]),
    want: { type: 'stats', samples: [SAMPLE, { ...SAMPLE, dropped: 3 }] },
  },
  { name: 'state', frame: stateFrame(`stats:${ID}`, 'unavailable'), want: { type: 'state', topic: `stats:${ID}`, state: 'unavailable' } },
  { name: 'pong', frame: pongFrame(42), want: { type: 'pong', t: 42 } },
  {
    name: 'error with a topic',
    frame: errorFrame({ code: ErrorCode.notFound, message: 'no such container', topic: 'stats:x' }),
    want: { type: 'error', code: 'not_found', message: 'no such container', topic: 'stats:x' },
  },
  {
    name: 'error without one',
    frame: errorFrame({ code: ErrorCode.badJson, message: 'frame is not valid JSON' }),
    want: { type: 'error', code: 'bad_json', message: 'frame is not valid JSON' },
  },
];

for (const { name, frame, want } of cases) {
  test(`frame builder: ${name}`, () => {
    const parsed = parseServerMessage(frame);
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
    assert.deepEqual(parsed.value, want);
  });
}
