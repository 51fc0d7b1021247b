/**
 * Splits newline-delimited JSON (the Docker Engine's streaming responses) that arrives in chunks of any size.
 */
import type { Result } from '@dockpulse/shared';
import { err, ok } from '@dockpulse/shared';

const NEWLINE = 0x0a;

/**
 * Feed it chunks as they arrive; each `push` returns one entry per line completed by that chunk: the parsed
 * value, or an error for a line that is not valid UTF-8 JSON or is longer than `maxLineBytes`. Blank lines
 * are skipped. A bad line never affects the lines after it, and an overlong line is dropped as it arrives,
 * so memory stays bounded by `maxLineBytes` whatever the peer sends.
 */
export class NdjsonDecoder {
  readonly #maxLineBytes: number;
  // Lines are split on the 0x0A byte before decoding: that byte never occurs inside a multi-byte UTF-8
  // sequence, so a character cut in two by a chunk boundary is whole again by the time its line is decoded.
  readonly #utf8 = new TextDecoder('utf-8', { fatal: true });
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** True while skipping the rest of a line already reported as too long. */
  #discarding = false;

  /** @param maxLineBytes longest line accepted, in bytes, without its newline. */
  constructor(maxLineBytes: number) {
    if (!Number.isSafeInteger(maxLineBytes) || maxLineBytes < 1) {
      throw new RangeError(`maxLineBytes must be a positive integer, got ${maxLineBytes}`);
    }
    this.#maxLineBytes = maxLineBytes;
  }

  /** Takes the next chunk of the stream; returns the lines it completed, in order. */
  push(chunk: Buffer): Result<unknown, string>[] {
    const out: Result<unknown, string>[] = [];
    let start = 0;
    while (start <= chunk.length) {
      const newline = chunk.indexOf(NEWLINE, start);
      const end = newline === -1 ? chunk.length : newline;
      this.#take(chunk.subarray(start, end), out);
      if (newline === -1) break;
      this.#finishLine(out);
      start = newline + 1;
    }
    return out;
  }

  /** Ends the stream: a last line without a trailing newline is parsed as if it had one. */
  end(): Result<unknown, string>[] {
    const out: Result<unknown, string>[] = [];
    this.#finishLine(out);
    return out;
  }

  #take(piece: Buffer, out: Result<unknown, string>[]): void {
    if (this.#discarding || piece.length === 0) return;
    if (this.#pendingBytes + piece.length > this.#maxLineBytes) {
      out.push(err(`line longer than ${this.#maxLineBytes} bytes`));
      this.#pending = [];
      this.#pendingBytes = 0;
      this.#discarding = true;
      return;
    }
    // Copied: the caller may reuse the chunk's memory once push returns.
    this.#pending.push(Buffer.from(piece));
    this.#pendingBytes += piece.length;
  }

  #finishLine(out: Result<unknown, string>[]): void {
    const line = this.#pending.length === 1 ? this.#pending[0]! : Buffer.concat(this.#pending, this.#pendingBytes);
    this.#pending = [];
    this.#pendingBytes = 0;
    if (this.#discarding) {
      this.#discarding = false;
      return;
    }
    let text: string;
    try {
      text = this.#utf8.decode(line);
    } catch {
      out.push(err('line is not valid UTF-8'));
      return;
    }
    if (text.trim() === '') return;
    try {
      out.push(ok(JSON.parse(text) as unknown));
    } catch (e) {
      out.push(err(`invalid JSON: ${e instanceof Error ? e.message : String(e)}`));
    }
  }
}
