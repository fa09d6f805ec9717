import { readObjectBtf } from '@bpfkit/btf';
import { parseElf } from '@bpfkit/elf';
import { syntheticMapInMapObject } from '@bpfkit/fixtures';
import { describe, expect, it } from 'vitest';
import { resolveMaps } from '../src/index.js';

/** Best of three runs of resolving an object with `slots` initialised slots, in ms per slot. */
function msPerSlot(slots: number): number {
  const bytes = syntheticMapInMapObject({ slots });
  let best = Number.POSITIVE_INFINITY;
  for (let run = 0; run < 3; run++) {
    const started = performance.now();
    const elf = parseElf(bytes, { name: 'slots.o' });
    resolveMaps(elf, readObjectBtf(elf)?.btf);
    best = Math.min(best, performance.now() - started);
  }
  return best / slots;
}

describe('many map-in-map slots', () => {
  it('reads every slot, in index order', () => {
    const elf = parseElf(syntheticMapInMapObject({ slots: 5000 }), { name: 'slots.o' });
    const outer = resolveMaps(elf, readObjectBtf(elf)?.btf).find((m) => m.name === 'outer');
    expect(outer?.slots).toHaveLength(5000);
    expect(outer?.slots.every((s, i) => s.index === i && s.target === 'inner')).toBe(true);
  });

  it('take time linear in their number (per slot about flat from 2k to 40k)', { timeout: 60_000 }, () => {
    msPerSlot(2000); // warm up
    const ratio = msPerSlot(40_000) / msPerSlot(2000);
    // Linear reading keeps the ratio within a few (garbage collection grows with the heap);
    // a search and a sort per slot made it about 20 (and 40k slots took minutes).
    expect(ratio).toBeLessThan(8);
  });
});
