// Event channel rows of `npm run bench`: records drained per second from a ring buffer
// (zero-copy consume, and the async iterator of copies) and from a perf buffer, beside
// libbpf's ring_buffer__poll and perf_buffer__poll on the same fixture, the same fills.
import { openPerfBuffer, openRingBuffer } from '@bpfkit/events';
import { fixture } from '@bpfkit/fixtures';
import { BpfObject } from '@bpfkit/loader';
import { testRun } from '@bpfkit/syscall';
import type { Figure } from './run.js';

/** The producer's u64 arguments (records, size, flags, discard interval, first sequence). */
function args(...values: number[]): Uint8Array {
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  for (const [i, value] of values.entries()) view.setBigUint64(i * 8, BigInt(value), true);
  return bytes;
}

/** Mean µs per record over `rounds` fills of `perFill` records, timing only `drain`. */
async function perRecord(rounds: number, fill: () => void, drain: () => number | Promise<number>): Promise<number> {
  let spent = 0;
  let records = 0;
  for (let round = -3; round < rounds; round++) {
    fill();
    const started = performance.now();
    const drained = await drain();
    if (round >= 0) {
      spent += performance.now() - started;
      records += drained;
    }
  }
  return (spent * 1000) / records;
}

/** Rows for 16- and 256-byte ring buffer records and 16-byte perf samples; `reference` runs the C harness. */
export async function eventFigures(
  quick: boolean,
  reference: (figure: string, count: number, input: string) => { median_ns?: number },
): Promise<Figure[]> {
  const path = fixture('events').path;
  const rounds = quick ? 50 : 500;
  const figures: Figure[] = [];
  using obj = BpfObject.open(path);
  obj.load();
  const produce = obj.program('produce').fd;
  for (const size of [16, 256]) {
    const perFill = Math.floor(16384 / ((size + 8 + 7) & ~7));
    const fill = () => testRun(produce, { ctx: args(perFill, size, 0, 0, 0) });
    const theirs = (reference(`ringbuf-${size}`, rounds, path).median_ns ?? 0) / 1000;
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
    const name = `ring buffer: µs per ${size}-byte record`;
    const referenceName = 'libbpf ring_buffer__poll';
    figures.push(
      {
        name: `${name}, zero-copy consume`,
        unit: 'µs',
        ours: zeroCopy,
        reference: theirs,
        referenceName,
        target: 1 / 0.7,
      },
      {
        name: `${name}, async iterator of copies`,
        unit: 'µs',
        ours: iterated,
        reference: theirs,
        referenceName,
        target: 1 / 0.4,
      },
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
  figures.push({
    name: 'perf buffer: µs per 16-byte sample, zero-copy consume',
    unit: 'µs',
    ours: perf,
    reference: (reference('perfbuf-16', rounds, path).median_ns ?? 0) / 1000,
    referenceName: 'libbpf perf_buffer__poll',
    target: 1 / 0.5,
  });
  return figures;
}
