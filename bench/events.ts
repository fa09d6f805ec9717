// Event channel rows of `npm run bench`: records drained per second from a ring buffer
// (zero-copy consume, and the async iterator of copies) and from a perf buffer, beside
// libbpf's ring_buffer__poll and perf_buffer__poll on the same fixture, the same fills; and
// the wake-up latency from a producer on another thread to the reader's callback.
import { Worker } from 'node:worker_threads';
import { openPerfBuffer, openRingBuffer } from '@bpfkit/events';
import { fixture } from '@bpfkit/fixtures';
import { BpfObject } from '@bpfkit/loader';
import { testRun } from '@bpfkit/syscall';
import type { Figure } from './table.js';

/** The producer's u64 arguments (records, size, flags, discard interval, first sequence). */
function args(...values: number[]): Uint8Array {
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  for (const [i, value] of values.entries()) view.setBigUint64(i * 8, BigInt(value), true);
  return bytes;
}

/** The median of `samples` (sorted in place). */
function median(samples: number[]): number {
  return samples.sort((a, b) => a - b)[samples.length >> 1] as number;
}

/**
 * Untimed fills drained before the timed ones: V8 optimises the drain loop only after a few
 * hundred runs, and fewer left the quick run's median in unoptimised code (52 ns a record
 * after 53 fills, 5.9 ns after 300, on this machine).
 */
const warmUpFills = 300;

/**
 * Median over `rounds` fills of the µs per record `drain` took (only the drain is timed; a
 * median, as the C side reports, so that a fill preempted on a busy machine does not count).
 */
async function perRecord(rounds: number, fill: () => void, drain: () => number | Promise<number>): Promise<number> {
  const samples: number[] = [];
  for (let round = -warmUpFills; round < rounds; round++) {
    fill();
    const started = performance.now();
    const drained = await drain();
    const spent = performance.now() - started;
    if (drained === 0) throw new Error('bench: a fill was not drained');
    if (round >= 0) samples.push((spent * 1000) / drained);
  }
  return median(samples);
}

/** A throughput row: millions of records per second, from µs per record on both sides. */
function throughput(name: string, ours: number, theirs: number, referenceName: string, target: number): Figure {
  return { name, unit: 'M/s', ours: 1 / ours, reference: 1 / theirs, referenceName, target, higherIsBetter: true };
}

/**
 * Median µs from `produce_event` (run `count` times by a worker thread, once a millisecond)
 * writing its stamped record to a `'data'` listener on the main thread seeing it: the
 * stamp is bpf_ktime_get_ns, CLOCK_MONOTONIC, as process.hrtime is.
 */
async function wakeupLatency(obj: BpfObject, count: number): Promise<number> {
  using rb = openRingBuffer(obj.map('events').fd);
  const samples: number[] = [];
  const received = new Promise<void>((resolve) => {
    rb.on('data', (view) => {
      samples.push(Number(process.hrtime.bigint() - view.u64(8)) / 1000);
      if (samples.length === count) resolve();
    });
  });
  const producer = new Worker(new URL('./events-producer.mjs', import.meta.url), {
    workerData: { programFd: obj.program('produce_event').fd, count },
  });
  const failed = new Promise<never>((_, reject) => producer.once('error', reject));
  await Promise.race([received, failed]);
  await producer.terminate();
  return median(samples);
}

/** Rows for 16- and 256-byte ring buffer records, 16-byte perf samples and wake-up latency; `reference` runs the C harness. */
export async function eventFigures(
  quick: boolean,
  reference: (figure: string, count: number, input: string) => { median_ns?: number },
): Promise<Figure[]> {
  const path = fixture('events').path;
  const rounds = quick ? 50 : 500;
  const theirs = (figure: string, count = rounds) => (reference(figure, count, path).median_ns ?? 0) / 1000;
  const figures: Figure[] = [];
  using obj = BpfObject.open(path);
  obj.load();
  const produce = obj.program('produce').fd;
  for (const size of [16, 256]) {
    const perFill = Math.floor(16384 / ((size + 8 + 7) & ~7));
    const fill = () => testRun(produce, { ctx: args(perFill, size, 0, 0, 0) });
    using rb = openRingBuffer(obj.map('events').fd);
    let sink = 0;
    const zeroCopy = await perRecord(rounds, fill, () => rb.consume((view) => (sink += view.length)));
    const iterated = await perRecord(rounds, fill, async () => {
      let count = 0;
      for await (const record of rb) {
        sink += record.length;
        if (++count === perFill) break;
      }
      return count;
    });
    if (sink === 0) throw new Error('bench: no records were read');
    const libbpf = theirs(`ringbuf-${size}`);
    const name = `ring buffer: ${size}-byte records per second`;
    figures.push(
      throughput(`${name}, zero-copy consume`, zeroCopy, libbpf, 'libbpf ring_buffer__poll', 0.7),
      throughput(`${name}, async iterator of copies`, iterated, libbpf, 'libbpf ring_buffer__poll', 0.4),
    );
  }
  const sample = obj.program('sample').fd;
  using pb = openPerfBuffer(obj.map('samples').fd, { pageCount: 8 });
  const perFill = Math.floor(32768 / 32);
  const perf = await perRecord(
    rounds,
    () => testRun(sample, { ctx: args(perFill, 16, 0) }),
    () => pb.consume(() => {}),
  );
  figures.push(
    throughput(
      'perf buffer: 16-byte samples per second, zero-copy consume',
      perf,
      theirs('perfbuf-16'),
      'libbpf perf_buffer__poll',
      0.5,
    ),
  );
  const wakeups = quick ? 50 : 300;
  figures.push({
    name: 'ring buffer: wake-up latency, producer to callback (median)',
    unit: 'µs',
    ours: await wakeupLatency(obj, wakeups),
    reference: theirs('ringbuf-wakeup', wakeups),
    referenceName: 'libbpf ring_buffer__poll',
    target: 2,
  });
  return figures;
}
