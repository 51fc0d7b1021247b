/**
 * Child of `cgroup-cost.ts`: the reads a container sample needs and nothing else, once a second, as the floor a
 * gateway is measured against. Each container's six stats files are opened once and read with one `pread` at
 * offset 0 into one buffer (a cgroup file is generated anew by each read at offset 0); its
 * `/proc/<pid>/net/dev` is opened, read and closed each time (`--net afresh`) or held open too (`--net held`).
 * Nothing is parsed, no string is made.
 *
 * Requests: `start` with `containers: {id, pid}[]` opens the files and starts reading; `count` answers how
 * many container samples were read so far and the CPU spent inside the reads (µs, this process's user and system
 * time around each tick's loop: the reads alone, without the process's own cost of waking up once a second);
 * `close` closes everything and exits.
 */
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { STATS_FILES } from '../src/cgroup/container-files.js';
import { findLayout, locateContainer, type ContainerDirs } from '../src/cgroup/layout.js';
import { flags } from './fanout-harness.js';
import { serveRequests } from './fanout-ipc.js';

const opts = flags({ net: 'afresh', interval: '1000' });
const netHeld = opts.get('net') === 'held';
const layout = findLayout({});
if (!layout.ok) throw new Error(layout.error);
const { version, procRoot } = layout.value;
const names = STATS_FILES[version];

/** The paths of a container's six stats files (fewer where a controller is missing). */
function pathsOf(dirs: ContainerDirs): string[] {
  const paths = [
    join(dirs.cpu, names.cpu),
    join(dirs.memory, names.memUsage),
    join(dirs.memory, names.memLimit),
    join(dirs.memory, names.memStat),
  ];
  const io = dirs.io === undefined ? undefined : names.io.map((n) => join(dirs.io!, n)).find((p) => existsSync(p));
  if (io !== undefined) paths.push(io);
  if (dirs.pids !== undefined) paths.push(join(dirs.pids, names.pids));
  return paths;
}

interface Held {
  fds: number[];
  netPath: string;
  netFd: number | undefined;
}

const buffer = Buffer.allocUnsafe(64 * 1024);
let held: Held[] = [];
let samples = 0;
let readUs = 0;
let timer: NodeJS.Timeout | undefined;

function tick(): void {
  const cpu = process.cpuUsage();
  for (const c of held) {
    try {
      for (const fd of c.fds) readSync(fd, buffer, 0, buffer.length, 0);
      if (c.netFd !== undefined) readSync(c.netFd, buffer, 0, buffer.length, 0);
      else {
        const fd = openSync(c.netPath, 'r');
        readSync(fd, buffer, 0, buffer.length, 0);
        closeSync(fd);
      }
      samples++;
    } catch {
      // Stopped meanwhile (the engine is shared): not counted.
    }
  }
  const spent = process.cpuUsage(cpu);
  readUs += spent.user + spent.system;
}

function close(): void {
  clearInterval(timer);
  for (const c of held) {
    for (const fd of c.fds) closeSync(fd);
    if (c.netFd !== undefined) closeSync(c.netFd);
  }
  held = [];
}

serveRequests((req) => {
  switch (req.cmd) {
    case 'start': {
      const containers = req['containers'] as { id: string; pid: number }[];
      for (const { id, pid } of containers) {
        const dirs = locateContainer(layout.value, id, pid);
        if (dirs === undefined) continue;
        const netPath = join(procRoot, String(pid), 'net', 'dev');
        try {
          held.push({ fds: pathsOf(dirs).map((p) => openSync(p, 'r')), netPath, netFd: netHeld ? openSync(netPath, 'r') : undefined });
        } catch {
          // Gone between the listing and now.
        }
      }
      timer = setInterval(tick, Number(opts.get('interval')));
      return { containers: held.length };
    }
    case 'count':
      return { samples, readUs };
    case 'close':
      close();
      setImmediate(() => process.exit(0));
      return {};
    default:
      throw new Error(`unknown command ${req.cmd}`);
  }
});
