import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log.js';

const SECRET_FILE = 'secret';
const SECRET_BYTES = 32;

/**
 * The gateway's state directory: the signing secret and the list of shares. Created with owner-only
 * permissions, and made owner-only when it was not (a directory made by hand or by an older version keeps
 * whatever mode it was given); every write replaces a file atomically, so a crash never leaves half a file.
 */
export class StateDir {
  /** @param log told when a directory or the secret open to other users was made owner-only */
  constructor(
    readonly path: string,
    private readonly log?: Logger,
  ) {}

  /** Creates the directory if needed, and makes it owner-only; throws, saying what to do, where it cannot. */
  async ensure(): Promise<void> {
    await mkdir(this.path, { recursive: true, mode: 0o700 });
    await this.ownerOnly(this.path, 0o700);
  }

  /** The signing secret, created on first use. */
  async secret(): Promise<Buffer> {
    await this.ensure();
    await this.removeLeftovers(SECRET_FILE);
    const file = join(this.path, SECRET_FILE);
    try {
      await this.ownerOnly(file, 0o600);
      const hex = (await readFile(file, 'utf8')).trim();
      if (/^[0-9a-f]{64}$/.test(hex)) return Buffer.from(hex, 'hex');
      throw new Error(`${file} is not a 64-digit hex secret; remove it to make a new one (this revokes every share)`);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const secret = randomBytes(SECRET_BYTES);
    // Written whole under another name, then linked into place: a crash in between leaves no secret (and one is
    // made at the next start), never a part of one that no gateway would start on. A link, unlike a rename, fails
    // when another process made the secret in between: theirs is then used rather than overwritten.
    const tmp = tempName(SECRET_FILE);
    try {
      await this.write(tmp, `${secret.toString('hex')}\n`, 'wx');
      await link(join(this.path, tmp), file);
      return secret;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return this.secret();
      throw e;
    } finally {
      await rm(join(this.path, tmp), { force: true });
    }
  }

  /** Reads a JSON file; undefined when it does not exist. */
  async readJson(name: string): Promise<unknown> {
    try {
      return JSON.parse(await readFile(join(this.path, name), 'utf8')) as unknown;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  /** Replaces a JSON file atomically: write a temporary file, flush it, rename it over the old one. */
  async writeJson(name: string, value: unknown): Promise<void> {
    await this.ensure();
    const tmp = tempName(name);
    try {
      await this.write(tmp, `${JSON.stringify(value, null, 2)}\n`, 'w');
      await rename(join(this.path, tmp), join(this.path, name));
    } catch (e) {
      await rm(join(this.path, tmp), { force: true });
      throw e;
    }
  }

  /**
   * Takes every permission of group and others off `path`, which must be at most `mode`; a directory that holds
   * the signing secret must not let another user of the machine read it.
   */
  private async ownerOnly(path: string, mode: number): Promise<void> {
    const was = (await stat(path)).mode & 0o777;
    if ((was & 0o077) === 0) return;
    try {
      await chmod(path, was & mode);
    } catch (e) {
      throw new Error(
        `${path} is open to other users (mode ${was.toString(8)}) and could not be made owner-only (${e instanceof Error ? e.message : String(e)}): run chmod ${mode.toString(8)} ${path}`,
        { cause: e },
      );
    }
    this.log?.warn('made the state directory owner-only', { path, was: was.toString(8), now: (was & mode).toString(8) });
  }

  /**
   * Removes the temporary files of `name` that a process killed in the middle of a write left behind (each crash
   * would leave one more); those of another process still running are its writes in progress, and stay. Called
   * before this process writes `name`, so that its own process id marks a leftover too: a gateway that is pid 1
   * in a container has the same id after every restart.
   */
  async removeLeftovers(name: string): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    for (const file of names) {
      const pid = leftoverPid(file, name);
      if (pid !== undefined && (pid === process.pid || !running(pid))) await rm(join(this.path, file), { force: true });
    }
  }

  private async write(name: string, text: string, flags: 'w' | 'wx'): Promise<void> {
    const handle = await open(join(this.path, name), flags, 0o600);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}

/** A temporary file's name for a write of `name` by this process; `removeLeftovers` knows it by its shape. */
function tempName(name: string): string {
  return `${name}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
}

/** The process id in the name of a temporary file of `name` (`<name>.<pid>.<hex>.tmp`); undefined for another file. */
function leftoverPid(file: string, name: string): number | undefined {
  if (!file.startsWith(`${name}.`)) return undefined;
  const m = /^(\d{1,10})\.[0-9a-f]{8}\.tmp$/.exec(file.slice(name.length + 1));
  return m ? Number(m[1]) : undefined;
}

/** Whether a process with this id runs (one of another user's counts too). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
