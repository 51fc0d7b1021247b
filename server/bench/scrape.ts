/**
 * What one Prometheus scrape of `/metrics` costs the gateway, at 50, 200 and 1,000 containers: the gateway
 * (current code, `synthetic-gateway.ts`) fed by synthetic containers, every one read and exported, in a
 * process of its own. Windows with scrapes and windows without alternate; the gateway's CPU (scheduler
 * time of all its threads) above the quiet window, divided by the scrapes, is the CPU of one scrape, and the
 * client's wall time from request to the last byte is its time.
 *
 *   pnpm bench:scrape [--containers 50,200,1000] [--scrapes 20] [--rounds 3] [--window 10]
 */
import { cpuDelta, cpuOf, median } from './proc-cpu.js';
import { cell, flags, machine, sleep, startServer, writeResults } from './fanout-harness.js';

const opts = flags({ containers: '50,200,1000', scrapes: '20', rounds: '3', window: '10', warmup: '15' });
const sizes = opts.get('containers')!.split(',').map(Number);
const scrapes = Number(opts.get('scrapes'));
const rounds = Number(opts.get('rounds'));
const windowMs = Number(opts.get('window')) * 1000;

interface Row {
  containers: number;
  bytes: number;
  series: number;
  cpuMsPerScrape: number;
  wallMsP50: number;
  wallMsMax: number;
  quietMsPerSecond: number;
}

const rows: Row[] = [];
for (const containers of sizes) {
  const gateway = await startServer('dockpulse', containers);
  try {
    const url = `http://127.0.0.1:${gateway.port}/metrics`;
    await sleep(Number(opts.get('warmup')) * 1000);
    const quiet: number[] = [];
    const perScrape: number[] = [];
    const walls: number[] = [];
    let bytes = 0;
    let series = 0;
    for (let r = 0; r < rounds; r++) {
      // A window with no scrape: what the gateway spends reading and publishing.
      let before = cpuOf([gateway.pid]);
      await sleep(windowMs);
      const idle = cpuDelta(before, cpuOf([gateway.pid]));
      quiet.push(idle / (windowMs / 1000));
      // The same window with `scrapes` scrapes spread over it.
      before = cpuOf([gateway.pid]);
      const start = Date.now();
      for (let i = 0; i < scrapes; i++) {
        const t0 = performance.now();
        const text = await (await fetch(url)).text();
        walls.push(performance.now() - t0);
        bytes = Buffer.byteLength(text);
        series = text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
        await sleep(Math.max(0, start + ((i + 1) * windowMs) / scrapes - Date.now()));
      }
      const busy = cpuDelta(before, cpuOf([gateway.pid]));
      perScrape.push((busy - idle * ((Date.now() - start) / windowMs)) / scrapes);
    }
    walls.sort((a, b) => a - b);
    rows.push({
      containers,
      bytes,
      series,
      cpuMsPerScrape: median(perScrape),
      wallMsP50: median(walls),
      wallMsMax: walls.at(-1) ?? NaN,
      quietMsPerSecond: median(quiet),
    });
  } finally {
    await gateway.stop();
  }
}

console.log(
  `\n${'containers'.padStart(10)}${'series'.padStart(10)}${'KiB'.padStart(10)}${'CPU ms'.padStart(10)}${'wall p50'.padStart(10)}${'wall max'.padStart(10)}${'quiet ms/s'.padStart(12)}`,
);
for (const r of rows) {
  console.log(
    `${cell(r.containers)}${cell(r.series)}${cell(r.bytes / 1024, 1)}${cell(r.cpuMsPerScrape, 2)}${cell(r.wallMsP50, 2)}${cell(r.wallMsMax, 2)}${cell(r.quietMsPerSecond, 1, 12)}`,
  );
}
writeResults('scrape', { machine: machine(), scrapes, rounds, windowMs, rows });
