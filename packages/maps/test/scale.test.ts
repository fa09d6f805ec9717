import { readObjectBtf } from '@bpfkit/btf';
import { parseElf } from '@bpfkit/elf';
import { syntheticMapInMapObject } from '@bpfkit/fixtures';
import { describe, expect, it } from 'vitest';
import { resolveMaps } from '../src/index.js';

/**
 * Best of `runs` of resolving the maps of `bytes`, and of decoding its relocations alone:
 * both allocate per slot, so their ratio stays put on a loaded machine while the time of
 * either alone does not.
 */
function bestTimes(bytes: Uint8Array, runs: number): { resolve: number; decode: number } {
  let resolve = Number.POSITIVE_INFINITY;
  let decode = Number.POSITIVE_INFINITY;
  for (let run = 0; run < runs; run++) {
    const elf = parseElf(bytes, { name: 'slots.o' });
    const btf = readObjectBtf(elf)?.btf;
    const started = performance.now();
    for (const section of elf.relocationSections) void section.entries.length;
    const decoded = performance.now();
    resolveMaps(elf, btf);
    resolve = Math.min(resolve, performance.now() - decoded);
    decode = Math.min(decode, decoded - started);
  }
  return { resolve, decode };
}

describe('many map-in-map slots', () => {
  it('reads every slot, in index order', () => {
    const elf = parseElf(syntheticMapInMapObject({ slots: 5000 }), { name: 'slots.o' });
    const outer = resolveMaps(elf, readObjectBtf(elf)?.btf).find((m) => m.name === 'outer');
    expect(outer?.slots).toHaveLength(5000);
    expect(outer?.slots.every((s, i) => s.index === i && s.target === 'inner')).toBe(true);
  });

  it('take time linear in their number: within a bound of what decoding their relocations takes', {
    timeout: 60_000,
  }, () => {
    const bytes = syntheticMapInMapObject({ slots: 20_000 });
    bestTimes(bytes, 1); // warm up
    const { resolve, decode } = bestTimes(bytes, 3);
    // Reading and checking a slot costs tens of decodes of its relocation (30 to 90 on a
    // loaded two-core machine); with a search and a sort per slot it cost thousands.
    expect(resolve / decode).toBeLessThan(500);
  });
});
