// Complexity rows of `npm run bench`: object open time per map-in-map slot and per BTF type
// at 1k, 10k and 100k, and the 100k size's per-item time over the 1k size's, which must stay
// near 1 (a quadratic step makes it the size ratio, 100).
//
// The machine running the benchmark may be shared, so each figure is CPU time (user + system,
// which a descheduled process does not accrue), the median of several samples, each after a
// collection (the least is no better: a sample that escaped a collection is an outlier too).
// The sizes take turns sample by sample, so load elsewhere reaches all of them alike. A sample
// repeats the open until it has spent tens of milliseconds, so small sizes are not lost in
// timer and scheduling noise, and the open of the same object without the items is subtracted:
// per-item time is marginal cost.
import { syntheticMapInMapObject } from '@bpfkit/fixtures';
import { BpfObject } from '@bpfkit/loader';
import type { Figure } from './table.js';

/** CPU time a sample should last, in ms: long against the clock's and the scheduler's granularity. */
const SAMPLE_MS = 40;
/** Item counts, smallest first; the ratio row compares the last with the first. */
const SIZES = [1000, 10_000, 100_000] as const;

/** CPU time this process has spent, in ms. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** CPU ms of `repeat` opens of `bytes`, after a collection, per open. */
function openCpuMs(bytes: Uint8Array, repeat: number): number {
  (globalThis as { gc?: () => void }).gc?.();
  const started = cpuMs();
  for (let i = 0; i < repeat; i++) BpfObject.open(bytes, { objectName: 'complexity' });
  return (cpuMs() - started) / repeat;
}

/** The middle of `values` (the mean of the two middle ones for an even count). */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Opens per sample so that one sample lasts about {@link SAMPLE_MS}, from a first timed open. */
function repeatFor(bytes: Uint8Array): number {
  return Math.max(1, Math.min(1000, Math.ceil(SAMPLE_MS / Math.max(openCpuMs(bytes, 1), 0.01))));
}

/** Per-item open times at each size for objects with that many `item`s, and their flatness; prints progress. */
function perItem(item: 'slot' | 'type', samples: number): Figure[] {
  const object = (n: number) => syntheticMapInMapObject(item === 'slot' ? { slots: n } : { slots: 1, types: n });
  const label = (n: number) => (n === 0 ? `no ${item}s` : `${n / 1000}k ${item}s`);
  // The object without the items first: its open time is fixed cost, subtracted from the others.
  const objects = [0, ...SIZES].map((n) => {
    const bytes = object(n);
    openCpuMs(bytes, 1); // warm up the open path
    return { n, bytes, repeat: repeatFor(bytes), times: [] as number[] };
  });
  // Sizes take turns, sample by sample, so a burst of load elsewhere reaches all of them alike.
  for (let sample = 1; sample <= samples; sample++) {
    for (const o of objects) o.times.push(openCpuMs(o.bytes, o.repeat));
    const times = objects.map((o) => `${label(o.n)} ${(o.times[sample - 1] as number).toFixed(2)}`).join(', ');
    console.error(`bench: open ${item}s, sample ${sample}/${samples}, CPU ms per open: ${times}`);
  }
  const [fixed, ...sized] = objects.map((o) => median(o.times));
  const micros = sized.map((total, i) => ((total - (fixed as number)) * 1000) / (SIZES[i] as number));
  console.error(
    `bench: open per ${item}, medians: ${SIZES.map((n, i) => `${label(n)} ${(micros[i] as number).toFixed(3)} µs`).join(', ')}`,
  );
  const rows: Figure[] = SIZES.map((n, i) => ({
    name: `object open per ${item}: ${label(n)} (CPU)`,
    unit: 'µs',
    ours: micros[i] as number,
    reference: undefined,
    referenceName: '-',
    target: undefined,
  }));
  const first = SIZES[0];
  const last = SIZES[SIZES.length - 1] as number;
  rows.push({
    name: `object open per ${item}: ${last / 1000}k ÷ ${first / 1000}k (flat is 1)`,
    unit: 'x',
    ours: (micros[micros.length - 1] as number) / (micros[0] as number),
    reference: undefined,
    referenceName: 'the rows above',
    target: 1.5,
  });
  return rows;
}

/** Open CPU time per map-in-map slot and per BTF type at 1k, 10k and 100k; `quick` takes fewer samples. */
export function complexityFigures(quick: boolean): Figure[] {
  const samples = quick ? 5 : 15;
  return [...perItem('slot', samples), ...perItem('type', samples)];
}
