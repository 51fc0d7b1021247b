/**
 * Synchronous reads of the small kernel files stats come from. A read of a cgroup file costs a few µs and
 * never blocks on a disk, so reading synchronously is cheaper than a trip through libuv's thread pool
 * (measured here: ~0.4 ms per container through fs.promises, ~0.03 ms synchronously).
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';

/** What a buffer holds at first: a page, the most one read of a file of lines returns (see `ReadBuffer.read`). */
const INITIAL_BYTES = 4096;
/**
 * A read that returned at most this much returned the whole file. A file of lines (net/dev, memory.stat) is
 * generated into the kernel's buffer, a page at first, and a read stops at the last line that fits there even
 * when the reader asked for more (measured: 4,016 of /proc/net/dev's 27,301 bytes in one 64 KiB read); a read
 * that stopped short of this bound would have left out a line longer than the rest of the page, over 1 KiB,
 * which these files never have.
 */
const WHOLE_BELOW = 3072;

/**
 * A buffer files are read into, reused from one read to the next (and from one container to the next), grown
 * to hold the largest file read into it. The last read's bytes are `bytes[0, length)`: they are parsed where
 * they lie, with no view made of them (a view is an object, and these reads happen thousands of times a second).
 */
export class ReadBuffer {
  /** Replaced by a larger one when a file does not fit: taken again after each read. */
  bytes = Buffer.allocUnsafe(INITIAL_BYTES);
  /** Bytes of the last read; -1 before one, or when the last file was not read. */
  length = -1;

  /**
   * Reads the whole file open at `fd`, from offset 0 (which makes the kernel generate a cgroup or /proc file
   * anew): one `pread` for a file that fits, more only for a long one. Returns its length.
   */
  read(fd: number): number {
    this.length = -1;
    let n = readSync(fd, this.bytes, 0, this.bytes.length, 0);
    if (n > WHOLE_BELOW || n === this.bytes.length) {
      for (;;) {
        if (n === this.bytes.length) {
          const bigger = Buffer.allocUnsafe(this.bytes.length * 2);
          this.bytes.copy(bigger, 0, 0, n);
          this.bytes = bigger;
        }
        const more = readSync(fd, this.bytes, n, this.bytes.length - n, n);
        if (more === 0) break;
        n += more;
      }
    }
    this.length = n;
    return n;
  }

  /** The last read's bytes as text. */
  text(): string {
    return this.bytes.toString('latin1', 0, Math.max(0, this.length));
  }
}

/** For `readSmallFile`, whose callers take a string. */
const textBuffer = new ReadBuffer();

/** Errors that mean the file, its cgroup or its process is gone, which is news, not a failure. */
const GONE: ReadonlySet<string> = new Set(['ENOENT', 'ENODEV', 'ESRCH', 'ENOTDIR']);

/** True for an error that says the file, its cgroup or its process no longer exists. */
export function isGone(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code !== undefined && GONE.has(code);
}

/** The file's text, or undefined when it is gone; other errors (EACCES, EMFILE) are thrown. */
export function readSmallFile(path: string): string | undefined {
  return readClosed(path, textBuffer) ? textBuffer.text() : undefined;
}

/** Reads the file into `into`; false when it is gone. Other errors are thrown. */
function readClosed(path: string, into: ReadBuffer): boolean {
  into.length = -1;
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    if (isGone(e)) return false;
    throw e;
  }
  try {
    into.read(fd);
    return true;
  } catch (e) {
    if (isGone(e)) return false;
    throw e;
  } finally {
    closeSync(fd);
  }
}

/**
 * Half this process's limit on open files (Node raises the soft limit to the hard one at start), leaving the
 * rest to sockets and everything else; `fallback` when the limit cannot be read.
 */
export function halfTheOpenFileLimit(fallback: number): number {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'latin1'));
    return m ? Math.floor(Number(m[1]) / 2) : fallback;
  } catch {
    return fallback;
  }
}

/** How many files may be held open at once; past that, files are opened for each read. */
export class FdBudget {
  /** Held open now. */
  held = 0;

  constructor(readonly limit: number) {}
}

/**
 * A kernel file held open and read again from offset 0 each time, which makes the kernel generate it anew:
 * one pread instead of open, read and close (about a third of the cost, measured on cgroup v1 files). When
 * the cgroup is removed, the read fails with ENODEV rather than returning stale numbers, so a restarted
 * container (same path, new cgroup) is noticed and reopened.
 */
export class HeldFile {
  private fd: number | undefined;

  constructor(
    readonly path: string,
    private readonly budget: FdBudget,
  ) {}

  /** Reads the file into `into`; false when it (or its cgroup) is gone. Other errors are thrown. */
  read(into: ReadBuffer): boolean {
    if (this.fd === undefined) {
      if (this.budget.held >= this.budget.limit) return readClosed(this.path, into);
      try {
        this.fd = openSync(this.path, 'r');
      } catch (e) {
        into.length = -1;
        if (isGone(e)) return false;
        throw e;
      }
      this.budget.held++;
    }
    try {
      into.read(this.fd);
      return true;
    } catch (e) {
      this.close();
      if (isGone(e)) return false;
      throw e;
    }
  }

  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    this.budget.held--;
    closeSync(fd);
  }
}
