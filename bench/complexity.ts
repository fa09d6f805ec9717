// Complexity rows of `npm run bench`: object open time per map-in-map slot and per BTF type
// at three sizes, and the largest size's per-item time over the smallest's, which must stay
// near 1 (a quadratic step makes it the size ratio, 100).
import { syntheticMapInMapObject } from '@bpfkit/fixtures';
import { BpfObject } from '@bpfkit/loader';
import type { Figure } from './run.js';

/** Best of `runs` opens of `bytes`, in ms, each after a collection when `--expose-gc` allows. */
function bestOpen(bytes: Uint8Array, runs: number): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  let best = Number.POSITIVE_INFINITY;
  for (let run = 0; run < runs; run++) {
    gc?.();
    const started = performance.now();
    BpfObject.open(bytes, { objectName: 'complexity' });
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

/** Per-item open times at each of `sizes` (smallest first) for objects with that many `items`, and their flatness. */
function perItem(item: 'slot' | 'type', sizes: readonly number[], quick: boolean): Figure[] {
  const object = (n: number) => syntheticMapInMapObject(item === 'slot' ? { slots: n } : { slots: 1, types: n });
  bestOpen(object(sizes[0] as number), 5); // warm up
  const times = sizes.map((n) => {
    // The empty object's open time is fixed cost, not per-item cost.
    const fixed = bestOpen(object(0), 5);
    return (bestOpen(object(n), quick || n >= 100_000 ? 3 : 5) - fixed) / n;
  });
  const label = (n: number) => (n >= 1000 ? `${n / 1000}k` : String(n));
  const rows: Figure[] = sizes.map((n, i) => ({
    name: `object open per ${item}: ${label(n)} ${item}s`,
    unit: 'µs',
    ours: (times[i] as number) * 1000,
    reference: undefined,
    referenceName: '-',
    target: undefined,
  }));
  const first = sizes[0] as number;
  const last = sizes[sizes.length - 1] as number;
  rows.push({
    name: `object open per ${item}: ${label(last)} ÷ ${label(first)} (flat is 1)`,
    unit: 'x',
    ours: (times[times.length - 1] as number) / (times[0] as number),
    reference: undefined,
    referenceName: 'the rows above',
    target: 1.5,
  });
  return rows;
}

/** Open time per map-in-map slot and per BTF type at 1k, 10k and 100k (100, 1k and 10k with `quick`). */
export function complexityFigures(quick: boolean): Figure[] {
  const sizes = quick ? [100, 1000, 10_000] : [1000, 10_000, 100_000];
  return [...perItem('slot', sizes, quick), ...perItem('type', sizes, quick)];
}
