import { readObjectBtf } from '@bpfkit/btf';
import { parseElf } from '@bpfkit/elf';
import { readFixture } from '@bpfkit/fixtures';
import { MapType } from '@bpfkit/uapi';
import { describe, expect, it } from 'vitest';
import { resolveMaps } from '../src/index.js';

describe('arena maps', () => {
  it('the ARENA map carries the initial bytes of the __arena globals (.addr_space.1)', () => {
    const elf = parseElf(readFixture('arena'), { name: 'arena.el.o' });
    const maps = resolveMaps(elf, readObjectBtf(elf)?.btf);
    const arena = maps.find((m) => m.type === MapType.ARENA);
    expect(arena).toMatchObject({ name: 'arena', maxEntries: 2, mapExtra: 1n << 44n });
    const globals = arena?.arenaGlobals as Uint8Array;
    // counter = 5 at offset 0, total = 0 after it.
    expect([...globals]).toEqual([5, ...new Array(15).fill(0)]);
    expect(maps.filter((m) => m.arenaGlobals !== undefined)).toHaveLength(1);
  });
});
