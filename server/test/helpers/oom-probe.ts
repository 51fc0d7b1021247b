/**
 * Whether the engine reports OOM kills, proved once per process with a probe container that overruns its memory
 * limit, as a test of alerts on them needs; undefined when it does, else a skip reason naming the host's fact.
 */
import { TestContainers, docker, ensureTestImage } from './docker.js';

let probed: Promise<string | undefined> | undefined;

/** Undefined when the host's engine reports an OOM kill of a container that overruns its limit; else why not. */
export function oomKills(): Promise<string | undefined> {
  probed ??= probe();
  return probed;
}

async function probe(): Promise<string | undefined> {
  await ensureTestImage();
  const containers = new TestContainers();
  const since = Math.floor(Date.now() / 1000) - 1;
  try {
    const id = await containers.run(
      'oom-probe',
      ['dd', 'if=/dev/zero', 'of=/dev/shm/f', 'bs=1M', 'count=64'],
      ['--memory', '16m', '--memory-swap', '16m'],
    );
    const code = await docker(['wait', id]);
    const killed = await docker(['inspect', '--format', '{{.State.OOMKilled}}', id]);
    const events = await docker([
      'events',
      '--since',
      String(since),
      '--until',
      String(Math.ceil(Date.now() / 1000) + 1),
      '--filter',
      `container=${id}`,
      '--filter',
      'event=oom',
      '--format',
      '{{.Action}}',
    ]);
    if (events.split('\n').includes('oom')) return undefined;
    return (
      'the host does not report OOM kills: a container with a 16 MiB limit writing 64 MiB to /dev/shm ' +
      `exited with ${code}, State.OOMKilled ${killed}, and the engine sent no oom event`
    );
  } finally {
    await containers.removeAll();
  }
}
