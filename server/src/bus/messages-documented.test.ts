import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEventsMessage, parseHeartbeat, parseHostRecord, parseSamplesMessage } from './messages.js';

const BUS_MD = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'docs', 'bus.md');

/** The JSON example under each `### <heading>` of docs/bus.md. */
function examples(): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const m of readFileSync(BUS_MD, 'utf8').matchAll(/^### (.+)\n[^#]*?```json\n([\s\S]*?)```/gm)) {
    out.set(m[1]!.replace(/`/g, ''), Buffer.from(m[2]!));
  }
  return out;
}

test('every message docs/bus.md shows is one a gateway accepts', () => {
  const docs = examples();
  const get = (heading: string): Uint8Array => {
    const bytes = docs.get(heading);
    assert.ok(bytes, `docs/bus.md has no JSON example under "### ${heading}"`);
    return bytes;
  };
  const samples = parseSamplesMessage(get('samples'), 'web-1');
  assert.ok(samples.ok, JSON.stringify(samples));
  assert.equal(samples.value.samples.length, 1);
  const beat = parseHeartbeat(get('heartbeat'));
  assert.ok(beat.ok, JSON.stringify(beat));
  const events = parseEventsMessage(get('events'));
  assert.ok(events.ok, JSON.stringify(events));
  assert.equal(events.value.events[0]?.exitCode, 137);
  const record = parseHostRecord(get('The host record'), 'web-1');
  assert.ok(record.ok, JSON.stringify(record));
  assert.equal(record.value.containers[0]?.compose?.service, 'web');
});

test('a message of one host on another host’s subject is refused as foreign', () => {
  const foreign = parseSamplesMessage(examples().get('samples')!, 'web-2');
  assert.deepEqual(foreign.ok ? undefined : foreign.error.reason, 'foreign');
});
