import { readFileSync } from 'node:fs';
import { fixture, mapNameById, normalizeXlated } from '@bpfkit/fixtures';
import { getBackend } from '@bpfkit/syscall';
import { MapType } from '@bpfkit/uapi';
import { describe, expect, it } from 'vitest';
import { BpfObject, LoadError } from '../src/index.js';
import { bpfUnavailable, openFdCount } from './kernel.js';
import { thrown } from './thrown.js';

const unavailable = bpfUnavailable();

/** Start addresses of this process's mappings of an arena (the kernel names them `anon_inode:bpf-map`). */
function arenaMappings(): bigint[] {
  return readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .filter((line) => line.includes('bpf-map'))
    .map((line) => BigInt(`0x${line.split('-')[0]}`));
}

describe.skipIf(unavailable !== undefined)('arena maps and __arena globals', () => {
  it('programs read and write __arena globals, which start with their initial values', () => {
    using object = BpfObject.open(fixture('arena').path);
    expect(object.maps.find((m) => m.name === 'arena')?.arenaGlobals?.length).toBe(16);
    object.load();
    expect(object.map('arena').info().type).toBe(MapType.ARENA);
    // counter starts at 5 (copied into the arena), each run adds one.
    expect(object.program('bump').testRun().retval).toBe(6);
    expect(object.program('bump').testRun().retval).toBe(7);
  });

  it('the arena is mapped at map_extra while the object lives, and unmapped when it closes', () => {
    const address = 1n << 44n;
    const object = BpfObject.open(fixture('arena').path);
    object.load();
    expect(arenaMappings()).toContain(address);
    object.close();
    expect(arenaMappings()).not.toContain(address);
  });

  it('a second load while the first holds the fixed address fails naming the address and what to do, closing what it opened', () => {
    using first = BpfObject.open(fixture('arena').path);
    first.load();
    const before = openFdCount();
    const second = BpfObject.open(fixture('arena').path);
    const error = thrown(() => second.load());
    expect(LoadError.is(error)).toBe(true);
    expect((error as LoadError).step).toBe('create-map');
    expect((error as LoadError).context).toMatchObject({ map: 'arena', errno: 'EEXIST' });
    expect((error as LoadError).message).toMatch(
      /map 'arena'.*EEXIST — this process already maps something at 0x100000000000, the address the arena's map_extra asks for.*mapExtra to 0/,
    );
    expect(openFdCount()).toBe(before);
    expect(arenaMappings().filter((start) => start === 1n << 44n)).toHaveLength(1);
    // The first load is untouched.
    expect(first.program('bump').testRun().retval).toBe(6);
  });

  it('without map_extra the kernel picks the address, and programs still load and run', () => {
    using object = BpfObject.open(fixture('arena').path);
    const spec = object.maps.find((m) => m.name === 'arena');
    if (spec === undefined) throw new Error('no arena map');
    spec.mapExtra = 0n;
    object.load();
    expect(arenaMappings()).not.toContain(1n << 44n);
    expect(object.program('bump').testRun().retval).toBe(6);
  });

  it('memory() is the arena where the kernel put it, and that address, normalised, makes two loads compare equal', () => {
    const loadAnywhere = () => {
      const object = BpfObject.open(fixture('arena').path);
      (object.maps.find((m) => m.name === 'arena') as { mapExtra: bigint }).mapExtra = 0n;
      object.load();
      return object;
    };
    using first = loadAnywhere();
    using second = loadAnywhere();
    const memory = first.map('arena').memory();
    expect(memory.length).toBe(2 * 4096);
    const view = new DataView(memory.buffer, memory.byteOffset, memory.byteLength);
    expect(view.getInt32(0, true)).toBe(5); // counter, copied in at load
    first.program('bump').testRun();
    expect(view.getInt32(0, true)).toBe(6); // the program's write, seen through the mapping
    const ranges = (object: BpfObject) => {
      const bytes = object.map('arena').memory();
      return [{ name: 'arena', start: getBackend().address(bytes), size: BigInt(bytes.length) }];
    };
    const [a, b] = [ranges(first), ranges(second)];
    expect(arenaMappings()).toEqual(expect.arrayContaining([a[0]?.start, b[0]?.start]));
    expect(a[0]?.start).not.toBe(b[0]?.start);
    const xlated = (object: BpfObject) => object.program('bump').info({ xlated: true }).xlated as Uint8Array;
    expect(normalizeXlated(xlated(first), mapNameById)).not.toEqual(normalizeXlated(xlated(second), mapNameById));
    const normalized = normalizeXlated(xlated(first), mapNameById, a);
    expect(normalized).toContain("ld_imm64 r1 arena 'arena' off 0");
    expect(normalizeXlated(xlated(second), mapNameById, b)).toEqual(normalized);
  });
});
