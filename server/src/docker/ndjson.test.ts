import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { Result } from '@dockpulse/shared';
import { NdjsonDecoder } from './ndjson.js';

/** Pushes every chunk, then ends the stream, and returns everything the decoder produced. */
function decode(maxLineBytes: number, chunks: (Buffer | string)[]): Result<unknown, string>[] {
  const decoder = new NdjsonDecoder(maxLineBytes);
  const out = chunks.flatMap((c) => decoder.push(typeof c === 'string' ? Buffer.from(c) : c));
  return [...out, ...decoder.end()];
}

function values(results: Result<unknown, string>[]): unknown[] {
  return results.map((r) => {
    assert.ok(r.ok, `unexpected error entry: ${r.ok ? '' : r.error}`);
    return r.value;
  });
}

// "é" is 2 bytes in UTF-8, "€" 3 and "😀" 4, so some split points below fall inside a character.
const lines = [{ name: '/dpfix-é€😀', n: 1 }, { read: '2026-11-27T14:20:50.554748093Z' }, ['x', 2]];
const stream = Buffer.from(lines.map((l) => JSON.stringify(l) + '\n').join(''));

describe('NdjsonDecoder across chunk boundaries', () => {
  test('split in two at every byte, including inside lines and inside multi-byte characters', () => {
    const multiByteStart = stream.indexOf(Buffer.from('€'));
    assert.ok(multiByteStart > 0);
    for (let i = 0; i <= stream.length; i++) {
      assert.deepEqual(values(decode(1024, [stream.subarray(0, i), stream.subarray(i)])), lines, `split at ${i}`);
    }
  });

  test('one byte at a time', () => {
    const chunks = [...stream].map((b) => Buffer.from([b]));
    assert.deepEqual(values(decode(1024, chunks)), lines);
  });

  test('a line is returned by the push that completes it, not before', () => {
    const decoder = new NdjsonDecoder(1024);
    assert.deepEqual(decoder.push(Buffer.from('{"a":')), []);
    assert.deepEqual(decoder.push(Buffer.from('1}\n{"b"')), [{ ok: true, value: { a: 1 } }]);
    assert.deepEqual(decoder.push(Buffer.from(':2}\n')), [{ ok: true, value: { b: 2 } }]);
  });

  test('the chunk buffer may be reused by the caller after push returns', () => {
    const decoder = new NdjsonDecoder(1024);
    const chunk = Buffer.from('{"a":"xyz"');
    decoder.push(chunk);
    chunk.fill(0x20);
    assert.deepEqual(decoder.push(Buffer.from('}\n')), [{ ok: true, value: { a: 'xyz' } }]);
  });

  test('real engine frames in 1000-byte chunks', () => {
    const files = ['v1-cpu-first.json', 'v1-cpu-next.json', 'v1-stopped.json'];
    const frames = files.map(
      (f) => JSON.parse(readFileSync(new URL(`../stats/fixtures/${f}`, import.meta.url), 'utf8')) as { read: string },
    );
    const body = Buffer.from(frames.map((f) => JSON.stringify(f) + '\n').join(''));
    const chunks: Buffer[] = [];
    for (let i = 0; i < body.length; i += 1000) chunks.push(body.subarray(i, i + 1000));
    const got = values(decode(64 * 1024, chunks)) as { read: string }[];
    assert.deepEqual(
      got.map((f) => f.read),
      ['2026-11-27T14:20:49.536333231Z', '2026-11-27T14:20:50.554748093Z', '0001-01-01T00:00:00Z'],
    );
  });
});

const cases: { name: string; max: number; chunks: string[]; want: unknown[] }[] = [
  { name: 'blank and whitespace-only lines are skipped', max: 64, chunks: ['\n\n  \n{}\n\t\n'], want: [{}] },
  { name: 'CRLF line ends', max: 64, chunks: ['{"a":1}\r\n{"b":2}\r\n'], want: [{ a: 1 }, { b: 2 }] },
  {
    name: 'an invalid line is an error and later lines still parse',
    max: 64,
    chunks: ['{"a":1}\nnot json\n{"b"', ':2}\n'],
    want: [{ a: 1 }, /^invalid JSON/, { b: 2 }],
  },
  { name: 'a truncated object is an error', max: 64, chunks: ['{"a":\n[]\n'], want: [/^invalid JSON/, []] },
  {
    name: 'a line of exactly maxLineBytes is accepted',
    max: 16,
    chunks: [`{"a":"${'x'.repeat(8)}"}\n`],
    want: [{ a: 'x'.repeat(8) }],
  },
  {
    name: 'a line over maxLineBytes across chunks: one error, then the stream goes on',
    max: 16,
    chunks: ['{"a":1}\n{"long":"', 'x'.repeat(10), 'x'.repeat(10), 'x'.repeat(10), '"}\n{"b":2}\n'],
    want: [{ a: 1 }, /longer than 16 bytes/, { b: 2 }],
  },
  {
    name: 'an overlong line in one chunk',
    max: 16,
    chunks: [`${JSON.stringify({ long: 'y'.repeat(100) })}\n{"c":3}\n`],
    want: [/longer than 16 bytes/, { c: 3 }],
  },
  { name: 'a last line without a newline is parsed at the end', max: 64, chunks: ['{"a":1}\n{"b":2}'], want: [{ a: 1 }, { b: 2 }] },
  { name: 'nothing at all', max: 64, chunks: [], want: [] },
];

describe('NdjsonDecoder lines', () => {
  for (const { name, max, chunks, want } of cases) {
    test(name, () => {
      const got = decode(max, chunks);
      assert.equal(got.length, want.length, JSON.stringify(got));
      want.forEach((w, i) => {
        const r = got[i]!;
        if (w instanceof RegExp) {
          assert.equal(r.ok, false, `entry ${i} should be an error`);
          assert.match(r.ok ? '' : r.error, w);
        } else {
          assert.deepEqual(r, { ok: true, value: w });
        }
      });
    });
  }

  test('an overlong line is reported as soon as it passes the limit, without waiting for its end', () => {
    const decoder = new NdjsonDecoder(16);
    assert.deepEqual(decoder.push(Buffer.from('x'.repeat(16))), []);
    const over = decoder.push(Buffer.from('x'));
    assert.equal(over.length, 1);
    assert.equal(over[0]!.ok, false);
    // The rest of that line is dropped as it arrives, however long it is.
    for (let i = 0; i < 100; i++) assert.deepEqual(decoder.push(Buffer.alloc(64 * 1024, 0x78)), []);
    assert.deepEqual(decoder.push(Buffer.from('\n{"ok":true}\n')), [{ ok: true, value: { ok: true } }]);
  });

  test('invalid UTF-8 is an error, not replacement characters', () => {
    const got = decode(64, [Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n{}\n')])]);
    assert.equal(got.length, 2);
    assert.equal(got[0]!.ok, false);
    assert.match(got[0]!.ok ? '' : got[0]!.error, /UTF-8/);
    assert.deepEqual(got[1], { ok: true, value: {} });
  });

  test('maxLineBytes must be a positive integer', () => {
    assert.throws(() => new NdjsonDecoder(0), RangeError);
    assert.throws(() => new NdjsonDecoder(1.5), RangeError);
  });
});
