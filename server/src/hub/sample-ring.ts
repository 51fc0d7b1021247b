/**
 * A container's recent samples, kept for every container a gateway follows whether or not anyone watches it,
 * so that a page opened on any of them shows the recent past at once. Samples are kept as numbers in
 * columns rather than as objects or JSON: 1,000 containers × 15 minutes is 900,000 samples, which as JSON
 * strings would take about 300 MiB and as columns take 136 bytes each. A sample comes back out exactly as it
 * went in, less its `dropped` count, which belongs to one socket.
 */
import { UNREPORTED_FIGURES, type Sample, type UnreportedFigure } from '@dockpulse/shared';

/** The numbers of a sample, in column order; null is kept as NaN. */
const COLUMNS = 17;
const T = 0;
const CPU = 1;
const USED = 2;
const LIMIT = 3;
const PERCENT = 4;
const RX = 5;
const TX = 6;
const RX_RATE = 7;
const TX_RATE = 8;
const READ = 9;
const WRITE = 10;
const READ_RATE = 11;
const WRITE_RATE = 12;
const PIDS = 13;
const CPU_TIME = 14;
const CHARGED = 15;
/** `unreported` as bits, one per figure in `UNREPORTED_FIGURES` order; 0 when every figure is reported. */
const UNREPORTED = 16;

/**
 * Slots per chunk. A ring grows a chunk at a time up to its capacity, so a short-lived container costs little,
 * and what it holds is never copied: each page is written once (a first write to a page costs a fault, 20 µs
 * on a virtual machine, where growing by doubling and copying cost 0.2 ms per ring at 256 slots).
 */
const CHUNK_SHIFT = 6;
const CHUNK_SLOTS = 1 << CHUNK_SHIFT;
const CHUNK_MASK = CHUNK_SLOTS - 1;

const num = (v: number | null): number => (v === null ? NaN : v);
const orNull = (v: number): number | null => (Number.isNaN(v) ? null : v);
const toBits = (figures: readonly UnreportedFigure[] | undefined): number =>
  figures === undefined ? 0 : UNREPORTED_FIGURES.reduce((bits, f, i) => (figures.includes(f) ? bits | (1 << i) : bits), 0);
const fromBits = (bits: number): UnreportedFigure[] => UNREPORTED_FIGURES.filter((_, i) => (bits & (1 << i)) !== 0);

/** Where slot `n` starts in its chunk. */
const offsetOf = (n: number): number => (n & CHUNK_MASK) * COLUMNS;

export class SampleRing {
  /** Slot `n` is at `chunks[n >> CHUNK_SHIFT]`, from `(n & CHUNK_MASK) * COLUMNS`; every chunk but the last is full size. */
  private readonly chunks: Float64Array[] = [];
  private slots = 0;
  private start = 0;
  private count = 0;

  /** @param capacity the most samples kept; the oldest is overwritten past it */
  constructor(
    readonly capacity: number,
    private readonly host: string,
    private readonly id: string,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity must be a positive integer, got ${capacity}`);
    this.grow();
  }

  get size(): number {
    return this.count;
  }

  /** Time of the newest sample, ms; undefined when empty. */
  get lastT(): number | undefined {
    if (this.count === 0) return undefined;
    const n = this.slot(this.count - 1);
    return this.chunk(n)[offsetOf(n) + T];
  }

  push(s: Sample): void {
    if (this.count === this.slots && this.slots < this.capacity) this.grow();
    let n: number;
    if (this.count < this.slots) {
      n = this.slot(this.count);
      this.count++;
    } else {
      n = this.start;
      this.start = (this.start + 1) % this.slots;
    }
    const d = this.chunk(n);
    const i = offsetOf(n);
    d[i + T] = s.t;
    d[i + CPU] = num(s.cpu);
    d[i + USED] = s.mem.used;
    d[i + LIMIT] = s.mem.limit;
    d[i + PERCENT] = num(s.mem.percent);
    d[i + RX] = s.net.rx;
    d[i + TX] = s.net.tx;
    d[i + RX_RATE] = num(s.net.rxRate);
    d[i + TX_RATE] = num(s.net.txRate);
    d[i + READ] = s.blk.read;
    d[i + WRITE] = s.blk.write;
    d[i + READ_RATE] = num(s.blk.readRate);
    d[i + WRITE_RATE] = num(s.blk.writeRate);
    d[i + PIDS] = num(s.pids);
    d[i + CPU_TIME] = s.cpuTime ?? NaN;
    d[i + CHARGED] = s.mem.charged ?? NaN;
    d[i + UNREPORTED] = toBits(s.unreported);
  }

  /** The samples with `t >= since`, oldest first, less the newest `skipNewest`. */
  samples(since: number, skipNewest = 0): Sample[] {
    const out: Sample[] = [];
    const end = this.count - Math.max(0, skipNewest);
    for (let k = 0; k < end; k++) {
      const n = this.slot(k);
      const d = this.chunk(n);
      const i = offsetOf(n);
      if (d[i + T]! >= since) out.push(this.at(d, i));
    }
    return out;
  }

  /** The newest sample; undefined when empty. */
  newest(): Sample | undefined {
    if (this.count === 0) return undefined;
    const n = this.slot(this.count - 1);
    return this.at(this.chunk(n), offsetOf(n));
  }

  clear(): void {
    this.start = 0;
    this.count = 0;
  }

  private at(d: Float64Array, i: number): Sample {
    const sample: Sample = {
      host: this.host,
      id: this.id,
      t: d[i + T]!,
      cpu: orNull(d[i + CPU]!),
      mem: { used: d[i + USED]!, limit: d[i + LIMIT]!, percent: orNull(d[i + PERCENT]!) },
      net: { rx: d[i + RX]!, tx: d[i + TX]!, rxRate: orNull(d[i + RX_RATE]!), txRate: orNull(d[i + TX_RATE]!) },
      blk: { read: d[i + READ]!, write: d[i + WRITE]!, readRate: orNull(d[i + READ_RATE]!), writeRate: orNull(d[i + WRITE_RATE]!) },
      pids: orNull(d[i + PIDS]!),
    };
    if (!Number.isNaN(d[i + CPU_TIME]!)) sample.cpuTime = d[i + CPU_TIME]!;
    if (!Number.isNaN(d[i + CHARGED]!)) sample.mem.charged = d[i + CHARGED]!;
    if (d[i + UNREPORTED] !== 0) sample.unreported = fromBits(d[i + UNREPORTED]!);
    return sample;
  }

  /** The chunk that holds slot `n`. */
  private chunk(n: number): Float64Array {
    return this.chunks[n >> CHUNK_SHIFT]!;
  }

  /** The slot of the `k`th oldest sample. */
  private slot(k: number): number {
    return (this.start + k) % this.slots;
  }

  /**
   * Adds a chunk to a full ring. A ring below its capacity has never overwritten a sample, so its oldest is in
   * slot 0 and the new slots come after its newest.
   */
  private grow(): void {
    const slots = Math.min(CHUNK_SLOTS, this.capacity - this.slots);
    this.chunks.push(new Float64Array(slots * COLUMNS));
    this.slots += slots;
  }
}
