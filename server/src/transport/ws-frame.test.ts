import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { textFrame } from './ws-frame.js';

/** ws's own framing, which its typings do not describe. */
const { Sender } = createRequire(import.meta.url)('ws') as {
  Sender: { frame(data: Buffer, options: Record<string, unknown>): Buffer[] };
};

test('textFrame is byte for byte the frame ws builds for a server text message, at every length encoding', () => {
  for (const n of [0, 1, 125, 126, 127, 65535, 65536, 70000]) {
    const payload = Buffer.alloc(n, 'x');
    const theirs = Buffer.concat(Sender.frame(payload, { fin: true, rsv1: false, opcode: 1, mask: false, readOnly: true }));
    assert.ok(textFrame(payload).equals(theirs), `payload of ${n} bytes`);
  }
});
