// Event channel rows of `npm run bench`: records drained per second from a ring buffer
// (zero-copy consume, the async iterators of record batches and of single records, both
// copies) and from a perf buffer, beside libbpf's ring_buffer__poll and perf_buffer__poll
// on the same fixture, the same fills; the bound any JS async iterator of single records
// meets (a for-await step over records already copied); and the
// wake-up latency from a producer on another thread to the reader's callback (the same C
// producer thread for both readers, placed on the reader's CPU or on another CPU alike for
// both).
//
// Both sides time only the drain of a fill already complete. libbpf's poll(0) starts with an
// epoll_wait syscall (about 1.5 µs a fill here, most of its 256-byte per-record figure);
// bpfkit's readers find records by reading the producer position, with no syscall, and use
// epoll only when the ring is empty. Ours and libbpf's are measured in alternating chunks,
// so that a change of load on a shared machine weighs on both.
import { resolve } from 'node:path';
import { openPerfBuffer, openRingBuffer, type PerfSample, type RecordBatch, type RecordView } from '@bpfkit/events';
import { fixture } from '@bpfkit/fixtures';
import { BpfObject } from '@bpfkit/loader';
import { pageSize, testRun } from '@bpfkit/syscall';
import koffi from 'koffi';
import { lastAllowedCpu, otherAllowedCpu, pinThread } from './pin-thread.js';
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
 * Adds to `samples` the µs per record `drain` took after each of `rounds` fills, after
 * `warmUp` untimed ones (only the drain is timed; the row takes the median, as the C side
 * reports, so that a fill preempted on a busy machine does not count); each drain must
 * read `expected` records when given.
 */
async function perRecord(
  samples: number[],
  rounds: number,
  warmUp: number,
  fill: () => void,
  drain: () => number | Promise<number>,
  expected?: number,
): Promise<void> {
  for (let round = -warmUp; round < rounds; round++) {
    fill();
    const started = performance.now();
    const result = drain();
    // A synchronous drain stops the clock before any await: an await on a number still
    // waits a microtask turn, which libbpf's poll does not pay.
    const drained = typeof result === 'number' ? result : await result;
    const spent = performance.now() - started;
    if (drained === 0) throw new Error('bench: a fill was not drained');
    if (expected !== undefined && drained !== expected) {
      throw new Error(`bench: a fill of ${expected} records drained ${drained}`);
    }
    if (round >= 0) samples.push((spent * 1000) / drained);
  }
}

/**
 * The cheapest iterator the async iteration protocol allows over records already copied: a
 * hand-written `next()` returning `Promise.resolve` of a fresh result (an async generator, or
 * a `next()` returning a plain result object, measured slower). Each `for await` step still
 * waits for a microtask, whatever the iterator: this is what a step costs at best.
 */
function readyRecords(records: readonly Uint8Array[]): AsyncIterable<Uint8Array> {
  return {
    [Symbol.asyncIterator]: () => {
      let next = 0;
      return {
        next: (): Promise<IteratorResult<Uint8Array>> =>
          next < records.length
            ? Promise.resolve({ done: false, value: records[next++] as Uint8Array })
            : Promise.resolve({ done: true, value: undefined }),
        return: (): Promise<IteratorResult<Uint8Array>> => Promise.resolve({ done: true, value: undefined }),
      };
    },
  };
}

/** Reads `count` records with `for await`, as a user's loop would, and returns how many. */
async function iterate(records: AsyncIterable<Uint8Array>, count: number, sink: { bytes: number }): Promise<number> {
  let read = 0;
  for await (const record of records) {
    sink.bytes += record.length;
    if (++read === count) break;
  }
  return read;
}

/** Takes the next batch from `batches`, reads it with `read`, and returns how many records it held. */
async function nextBatch(batches: AsyncIterator<RecordBatch>, read: (batch: RecordBatch) => void): Promise<number> {
  const step = await batches.next();
  if (step.done === true) throw new Error('bench: the batch iterator ended');
  read(step.value);
  return step.value.length;
}

/** Runs one figure of the C harness (bench/libbpf-bench.c) on an input, returning its JSON line. */
type LibbpfFigure = (
  figure: string,
  count: number,
  input: string,
) => { median_ns?: number; samples?: number; lost?: number; cpu?: number; producer_cpu?: number };

/** `BPF_F_TEST_RUN_ON_CPU`: a test run on the CPU its attribute names. */
const testRunOnCpu = 1;

/** A throughput row: millions of records per second, from µs per record on both sides. */
function throughput(
  name: string,
  ours: number,
  theirs: number,
  referenceName: string,
  target: number | undefined,
): Figure {
  return { name, unit: 'M/s', ours: 1 / ours, reference: 1 / theirs, referenceName, target, higherIsBetter: true };
}

/**
 * The wake-up latency rows' producer (bench/events-producer.c, a shared object here): a
 * native thread of this process that runs `produce_event` once a millisecond (faster in the
 * warm-up), as the C harness's thread does for libbpf's reader. A JavaScript producer (a
 * worker) kept the CPU some 15-40 µs after each event (its return from the FFI call and its
 * next wait), and the woken main thread, placed on that CPU, waited for it: a cost libbpf's
 * reader did not pay.
 */
interface EventProducer {
  /**
   * Starts producing `count` events with program fd `programFd`, one every `pauseUs` µs, on
   * a thread pinned to `cpu`: 0, or -1.
   */
  start(programFd: number, count: number, pauseUs: number, cpu: number): number;
  /** Waits for the thread to end: 0, or -1 when a run failed. */
  join(): number;
}

/** Loads the producer's shared object (built by run.ts beside the C harness). */
function loadEventProducer(library: string): EventProducer {
  const lib = koffi.load(resolve(library));
  return {
    start: lib.func('int start_event_producer(int prog, int count, int pause_us, int cpu)'),
    join: lib.func('int join_event_producer(void)'),
  };
}

/**
 * Untimed wake-ups before the timed ones, one every 50 µs, in runs of 250 (the C harness's
 * WAKEUP_WARM_UP_* run the same): the figure is that of a reader that has been running for
 * a while, as the other rows' are. The first thousands of wake-ups of a fresh process took
 * some 10 µs more here, while V8 was still tiering up the wake path (the loop's callback,
 * the waiter, the reader); the C reader has nothing to warm up and runs the same warm-up.
 * The fixture's 16 KiB ring holds 409 of produce_event's records (a 32-byte struct event
 * and an 8-byte header), so a run never loses one however long the reader is held up (a
 * garbage collection after the rows above held it up for a whole run of 500).
 */
const wakeupWarmUp = { runs: 20, count: 250, pauseUs: 50 };

/**
 * Adds to `samples` the µs from `produce_event` (run `count` times by `producer`'s thread on
 * `producerCpu`, one every `pauseUs` µs) writing its stamped record to a `'data'` listener
 * on the main thread seeing it: the stamp is bpf_ktime_get_ns, CLOCK_MONOTONIC, as
 * process.hrtime is.
 */
async function wakeupLatency(
  obj: BpfObject,
  count: number,
  samples: number[],
  producer: EventProducer,
  producerCpu: number,
  pauseUs = 1000,
): Promise<void> {
  using rb = openRingBuffer(obj.map('events').fd);
  const first = samples.length;
  let deadline: NodeJS.Timeout | undefined;
  const received = new Promise<void>((resolve, reject) => {
    rb.on('data', (view) => {
      samples.push(Number(process.hrtime.bigint() - view.u64(8)) / 1000);
      if (samples.length - first === count) resolve();
    });
    deadline = setTimeout(
      () => reject(new Error(`bench: ${samples.length - first} of ${count} events arrived`)),
      (count * pauseUs) / 100 + 5000,
    );
  });
  if (producer.start(obj.program('produce_event').fd, count, pauseUs, producerCpu) !== 0) {
    clearTimeout(deadline);
    throw new Error('bench: the event producer thread did not start');
  }
  let joined = 0;
  try {
    await received;
  } finally {
    clearTimeout(deadline);
    // The thread ends after its last run (also when runs failed and records are missing).
    joined = producer.join();
  }
  if (joined !== 0) throw new Error('bench: produce_event failed in the producer thread');
}

/**
 * Where the wake-up rows place the reader and the producer: the reader (Node's main thread,
 * or the C harness's thread) on the last CPU it may run on, the producer on that CPU or on
 * another one; the C harness's figure of the same placement. The placement weighs more than
 * either reader: on this 2-vCPU machine libbpf's reader took 15-23 µs on the producer's CPU
 * and 32-44 µs on the other one (the kernel then wakes an idle vCPU). Left to the scheduler,
 * Node's main thread slept on either CPU from one run to the next, while the C reader mostly
 * shared the producer's, and bpfkit's row fell into two groups (20-22 µs or 30-39 µs).
 */
const placements = [
  { name: 'reader and producer on one CPU', figure: 'ringbuf-wakeup-same-cpu', sameCpu: true },
  { name: 'reader and producer on different CPUs', figure: 'ringbuf-wakeup-other-cpu', sameCpu: false },
] as const;

/**
 * The wake-up latency rows, one for each of {@link placements}: the median of `wakeups`
 * wake-ups in each of `chunks` chunks, alternating with libbpf's (whose chunk medians give
 * its median), after the warm-up runs, all with the reader and the producer placed alike on
 * both sides. The main thread is pinned only while it reads (a process it starts inherits
 * its CPUs, and the C harness picks its own).
 */
async function wakeupFigures(
  obj: BpfObject,
  wakeups: number,
  chunks: number,
  reference: LibbpfFigure,
  path: string,
  producerLibrary: string,
): Promise<Figure[]> {
  const producer = loadEventProducer(producerLibrary);
  const figures: Figure[] = [];
  for (const placement of placements) {
    const reader = lastAllowedCpu();
    const producerCpu = placement.sameCpu ? reader : otherAllowedCpu(reader);
    const pinned = async (run: () => Promise<void>) => {
      const unpin = pinThread(reader);
      try {
        await run();
      } finally {
        unpin();
      }
    };
    const latency: number[] = [];
    const latencyLibbpf: number[] = [];
    await pinned(async () => {
      for (let run = 0; run < wakeupWarmUp.runs; run++)
        await wakeupLatency(obj, wakeupWarmUp.count, [], producer, producerCpu, wakeupWarmUp.pauseUs);
    });
    for (let chunk = 0; chunk < chunks; chunk++) {
      await pinned(() => wakeupLatency(obj, wakeups, latency, producer, producerCpu));
      const theirs = reference(placement.figure, wakeups, path);
      if (theirs.cpu !== reader || theirs.producer_cpu !== producerCpu) {
        throw new Error(
          `bench: ${placement.figure} read on CPU ${theirs.cpu} from CPU ${theirs.producer_cpu}, ` +
            `bpfkit on CPU ${reader} from CPU ${producerCpu}`,
        );
      }
      latencyLibbpf.push((theirs.median_ns ?? 0) / 1000);
    }
    figures.push({
      name: `ring buffer: wake-up latency, producer to callback (median), ${placement.name}`,
      unit: 'µs',
      ours: median(latency),
      reference: median(latencyLibbpf),
      referenceName: 'libbpf ring_buffer__poll',
      target: 2,
    });
  }
  return figures;
}

/** Data pages of each CPU's ring in the perf buffer rows (the C harness's PERF_PAGES). */
const perfPages = 32;
/** Bytes a 16-byte perf sample takes in the ring: 8-byte header, u32 size, data, rounded to 8. */
const perfSpan = (16 + 12 + 7) & ~7;
/**
 * Untimed perf drains before the timed ones (the C harness warms up over PERF_WARM_UP): the
 * drain loop is optimised within the first few (each reads 4095 samples).
 */
const perfWarmUp = 50;

/**
 * The perf buffer rows: 16-byte samples drained by bpfkit's zero-copy consume, beside
 * perf_buffer__poll and perf_buffer__consume, the same work on both sides. Each CPU's ring
 * has 32 pages (128 KiB). The reading thread is pinned to the last CPU it may run on and
 * the fills run there too (BPF_F_TEST_RUN_ON_CPU on the thread's own CPU, so the kernel runs
 * them in place): each side drains samples written on the CPU it reads on, whichever CPUs
 * the scheduler would have picked for either (a fill on the other CPU drained about as fast
 * here: the pinning makes both sides alike, not faster). Before each timed drain, one fill
 * writes as many samples as the ring holds (4095: nothing is lost, nothing splits); only the
 * drain of those is timed, 15-30 µs on libbpf's side here, 4 times the samples of the earlier
 * 8-page row, so clock reads weigh little on it (poll's first epoll_wait still weighs: the
 * perf_buffer__consume row, the same drain without it, has been 1.5-1.8x poll's rate).
 * Each side takes the median time per sample of `rounds` drains after untimed warm-up
 * drains, in `chunks` chunks that alternate with libbpf's; both callbacks read each sample's
 * first u32 (its sequence number), and the row checks that both sides drained as many
 * samples a drain, on the same CPU, losing none. A fill takes some 30 ms here (8 µs a sample, with
 * the wake-up after each sample libbpf and bpfkit both ask for), hence fewer drains than the
 * ring buffer rows' fills, in shorter chunks so that a change of load falls on both sides:
 * 10 chunks of 50 drains (3 of 30 quick), as many samples as the earlier row's 5 of 400.
 */
async function perfFigures(
  obj: BpfObject,
  rounds: number,
  chunks: number,
  reference: LibbpfFigure,
  path: string,
): Promise<Figure[]> {
  const sample = obj.program('sample').fd;
  using pb = openPerfBuffer(obj.map('samples').fd, { pageCount: perfPages });
  const cpu = lastAllowedCpu();
  if (!pb.cpus.includes(cpu)) throw new Error(`bench: the perf buffer has no ring on CPU ${cpu}`);
  // The kernel keeps a ring at most one byte short of full.
  const perDrain = Math.floor((perfPages * pageSize() - 1) / perfSpan);
  const fillArgs = { ctx: args(perDrain, 16, 0), cpu, flags: testRunOnCpu };
  const fill = () => {
    if (testRun(sample, fillArgs).retval !== perDrain) throw new Error('bench: a perf fill did not fit the ring');
  };
  const sequences = { sum: 0 };
  const readSequence = (view: PerfSample<RecordView>) => {
    sequences.sum += view.data.u32(0);
  };
  const theirsPerSample = (figure: string) => {
    const result = reference(figure, rounds, path);
    if (result.samples !== rounds * perDrain || result.lost !== 0 || result.cpu !== cpu) {
      throw new Error(
        `bench: ${figure} drained ${(result.samples ?? 0) / rounds} samples a drain on CPU ${result.cpu} ` +
          `(${result.lost} lost), bpfkit ${perDrain} on CPU ${cpu}`,
      );
    }
    return (result.median_ns ?? 0) / 1000;
  };
  const perf: number[] = [];
  const perfPoll: number[] = [];
  const perfConsume: number[] = [];
  const unpin = pinThread(cpu);
  try {
    for (let chunk = 0; chunk < chunks; chunk++) {
      await perRecord(perf, rounds, chunk === 0 ? perfWarmUp : 0, fill, () => pb.consume(readSequence), perDrain);
      perfPoll.push(theirsPerSample('perfbuf-16'));
      perfConsume.push(theirsPerSample('perfbuf-consume-16'));
    }
  } finally {
    unpin();
  }
  if (sequences.sum === 0) throw new Error('bench: no samples were read');
  if (pb.lost.some((n) => n !== 0)) throw new Error(`bench: the perf buffer lost samples (${pb.lost})`);
  const name = 'perf buffer: 16-byte samples per second, zero-copy consume';
  return [
    throughput(name, median(perf), median(perfPoll), 'libbpf perf_buffer__poll', 0.5),
    // perf_buffer__poll starts with an epoll_wait, which perf_buffer__consume skips (it reads
    // every CPU's ring, as bpfkit's consume does): the same drain without the syscall.
    throughput(name, median(perf), median(perfConsume), 'libbpf perf_buffer__consume', undefined),
  ];
}

/**
 * Rows for 16- and 256-byte ring buffer records (zero-copy, the iterators of batches and of
 * single records, and the bound of any iterator of single records), 16-byte perf samples
 * and wake-up latency; `reference` runs the C harness, `producerLibrary` is the latency
 * rows' producer built as a shared object. Each row pools ours over `chunks` chunks that
 * alternate with libbpf's, and takes the median of libbpf's chunk medians.
 */
export async function eventFigures(
  quick: boolean,
  reference: LibbpfFigure,
  producerLibrary: string,
): Promise<Figure[]> {
  const path = fixture('events').path;
  const chunks = quick ? 3 : 5;
  const rounds = quick ? 100 : 400;
  const figures: Figure[] = [];
  using obj = BpfObject.open(path);
  obj.load();
  const produce = obj.program('produce').fd;
  const sink = { bytes: 0 };
  let libbpf16 = 0;
  for (const size of [16, 256]) {
    const perFill = Math.floor(16384 / ((size + 8 + 7) & ~7));
    const fill = () => testRun(produce, { ctx: args(perFill, size, 0, 0, 0) });
    using rb = openRingBuffer(obj.map('events').fd);
    const copies = Array.from({ length: perFill }, () => new Uint8Array(size));
    const zeroCopy: number[] = [];
    const batched: number[] = [];
    const batchedBytes: number[] = [];
    const iterated: number[] = [];
    const bound: number[] = [];
    const libbpf: number[] = [];
    // One callback, as the C side has: every reader shares consume's call site, which other
    // callbacks make megamorphic (the shared-site row, measured last).
    const count = (view: RecordView) => {
      sink.bytes += view.length;
    };
    // libbpf's figure, after checking that it drained as many records a fill as ours.
    const libbpfPerRecord = () => {
      const result = reference(`ringbuf-${size}`, rounds, path);
      if (result.samples !== rounds * perFill) {
        throw new Error(
          `bench: ringbuf-${size} drained ${(result.samples ?? 0) / rounds} records a fill, bpfkit ${perFill}`,
        );
      }
      return (result.median_ns ?? 0) / 1000;
    };
    for (let chunk = 0; chunk < chunks; chunk++) {
      const warmUp = chunk === 0 ? warmUpFills : 0;
      await perRecord(zeroCopy, rounds, warmUp, fill, () => rb.consume(count), perFill);
      // A batch iterator runs for the whole chunk, as a reader's loop would: one step a fill.
      const batches = rb.batches();
      await perRecord(
        batched,
        rounds,
        warmUp,
        fill,
        () => nextBatch(batches, (batch) => batch.forEachView(count)),
        perFill,
      );
      await perRecord(
        batchedBytes,
        rounds,
        warmUp,
        fill,
        () =>
          nextBatch(batches, (batch) => {
            for (const record of batch) sink.bytes += record.length;
          }),
        perFill,
      );
      await batches.return?.();
      await perRecord(iterated, rounds, warmUp, fill, () => iterate(rb, perFill, sink), perFill);
      // The bound: the same fill (the kernel ran just before, as for the others), emptied
      // untimed, then a for-await over records copied beforehand.
      const fillAndEmpty = () => {
        fill();
        rb.consume(count);
      };
      await perRecord(bound, rounds, warmUp, fillAndEmpty, () => iterate(readyRecords(copies), perFill, sink));
      libbpf.push(libbpfPerRecord());
    }
    if (sink.bytes === 0) throw new Error('bench: no records were read');
    const theirsPerRecord = median(libbpf);
    if (size === 16) libbpf16 = theirsPerRecord;
    const name = `ring buffer: ${size}-byte records per second`;
    const poll = 'libbpf ring_buffer__poll';
    figures.push(
      throughput(`${name}, zero-copy consume`, median(zeroCopy), theirsPerRecord, poll, 0.7),
      throughput(
        `${name}, async iterator of record batches (copies), read through batch.forEachView`,
        median(batched),
        theirsPerRecord,
        poll,
        0.4,
      ),
      throughput(
        `${name}, async iterator of record batches (copies), a Uint8Array per record (for-of over the batch)`,
        median(batchedBytes),
        theirsPerRecord,
        poll,
        undefined,
      ),
      throughput(
        `${name}, async iterator of single records (copies)`,
        median(iterated),
        theirsPerRecord,
        poll,
        undefined,
      ),
      throughput(
        `${name}, bound for any async iterator of single records (for-await over ready copies)`,
        median(bound),
        theirsPerRecord,
        poll,
        undefined,
      ),
    );
  }
  figures.push(...(await perfFigures(obj, quick ? 30 : 50, quick ? chunks : 10, reference, path)));
  figures.push(...(await wakeupFigures(obj, quick ? 20 : 100, chunks, reference, path, producerLibrary)));
  // Last, as it changes what it measures for good: every reader shares consume's call site,
  // which has now seen the rows' callback and the 'data' listeners' dispatch, and a third
  // callback leaves it megamorphic (no longer inlined), as in a program with several readers.
  const sharedSite: number[] = [];
  {
    const perFill = Math.floor(16384 / 24);
    using rb = openRingBuffer(obj.map('events').fd);
    const other = (view: RecordView) => {
      sink.bytes -= view.length;
    };
    await perRecord(
      sharedSite,
      rounds * chunks,
      warmUpFills,
      () => testRun(produce, { ctx: args(perFill, 16, 0, 0, 0) }),
      () => rb.consume(other),
    );
  }
  figures.push(
    throughput(
      'ring buffer: 16-byte records per second, zero-copy consume, call site shared by several callbacks',
      median(sharedSite),
      libbpf16,
      'libbpf ring_buffer__poll',
      undefined,
    ),
  );
  return figures;
}
