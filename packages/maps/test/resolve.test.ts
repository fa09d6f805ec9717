import { readFileSync } from 'node:fs';
import { readObjectBtf } from '@bpfkit/btf';
import { type ElfFile, parseElf } from '@bpfkit/elf';
import { readFixture } from '@bpfkit/fixtures';
import { MapFlag, MapType } from '@bpfkit/uapi';
import { describe, expect, it } from 'vitest';
import {
  describeStep,
  internalMapName,
  MapError,
  type MapSpec,
  makeMapSpec,
  planCreation,
  resolveMaps,
  setConstant,
  validateMaps,
} from '../src/index.js';

function open(name: string, order: 'el' | 'eb' = 'el'): { elf: ElfFile; maps: MapSpec[] } {
  const elf = parseElf(readFixture(name, order), { name: `${name}.${order}.o` });
  return { elf, maps: resolveMaps(elf, readObjectBtf(elf)?.btf) };
}
const byName = (maps: MapSpec[], name: string) => maps.find((m) => m.name === name) as MapSpec;

describe('the seed map-in-map object', () => {
  const { maps } = open('map_in_map');

  it('turns two variables of one struct type into two maps', () => {
    for (const name of ['inner_map1', 'inner_map2']) {
      expect(byName(maps, name)).toMatchObject({
        type: MapType.ARRAY,
        keySize: 4,
        valueSize: 4,
        maxEntries: 1,
        source: 'btf',
      });
    }
  });

  it('reads the inner definition as the prototype and the slots from .rel.maps', () => {
    const outer = byName(maps, 'outer_hash');
    expect(outer).toMatchObject({ type: MapType.HASH_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 5 });
    expect(outer.inner).toMatchObject({
      name: 'outer_hash.inner',
      type: MapType.ARRAY,
      keySize: 4,
      valueSize: 4,
      maxEntries: 1,
    });
    expect(outer.slots).toEqual([
      { index: 0, target: 'inner_map2', targetKind: 'map' },
      { index: 4, target: 'inner_map1', targetKind: 'map' },
    ]);
    expect(byName(maps, 'outer_arr').slots.map((s) => [s.index, s.target])).toEqual([
      [0, 'inner_map1'],
      [2, 'inner_map2'],
    ]);
  });

  it('resolves the same from the big-endian object', () => {
    expect(open('map_in_map', 'eb').maps).toEqual(maps);
  });

  it('plans targets first, prototypes around their outer map, slots right after', () => {
    const plan = planCreation(maps);
    const lines = plan.maps.flatMap((step) => describeStep(step, maps));
    expect(lines).toEqual([
      "map 'inner_map1': create ARRAY key_size 4 value_size 4 max_entries 1",
      "map 'inner_map2': create ARRAY key_size 4 value_size 4 max_entries 1",
      "map 'outer_arr.inner': create inner map prototype ARRAY key_size 4 value_size 4 max_entries 1",
      "map 'outer_arr': create ARRAY_OF_MAPS key_size 4 value_size 4 max_entries 3",
      "map 'outer_arr.inner': close inner map prototype",
      "map 'outer_arr': slot [0] set to map 'inner_map1'",
      "map 'outer_arr': slot [2] set to map 'inner_map2'",
      "map 'outer_hash.inner': create inner map prototype ARRAY key_size 4 value_size 4 max_entries 1",
      "map 'outer_hash': create HASH_OF_MAPS key_size 4 value_size 4 max_entries 5",
      "map 'outer_hash.inner': close inner map prototype",
      "map 'outer_hash': slot [0] set to map 'inner_map2'",
      "map 'outer_hash': slot [4] set to map 'inner_map1'",
      "map 'map_in_m.bss': create ARRAY key_size 4 value_size 4 max_entries 1 flags 0x400",
      "map 'map_in_m.bss': write initial value (4 bytes)",
    ]);
    expect(plan.afterPrograms).toEqual([]);
  });

  it('creates slot targets first even when they are defined after the outer map', () => {
    const reordered = [byName(maps, 'outer_hash'), byName(maps, 'inner_map1'), byName(maps, 'inner_map2')];
    const creates = planCreation(reordered)
      .maps.filter((s) => s.kind === 'create-map')
      .map((s) => s.map);
    expect(creates).toEqual(['inner_map2', 'inner_map1', 'outer_hash']);
  });
});

describe('the selftest-like object', () => {
  const { maps } = open('btf_map_in_map');

  it('accepts differently sized inner maps under BPF_F_INNER_MAP', () => {
    const dyn = byName(maps, 'outer_arr_dyn');
    expect(dyn.inner?.flags).toBe(MapFlag.INNER_MAP);
    expect(dyn.slots.map((s) => byName(maps, s.target).maxEntries)).toEqual([3, 3, 5]);
  });

  it('reads sparse slots of a large array of maps', () => {
    expect(byName(maps, 'outer_sparse').slots.map((s) => s.index)).toEqual([7, 63]);
  });

  it('reads a hash of maps keyed by a struct', () => {
    expect(byName(maps, 'flows')).toMatchObject({ type: MapType.HASH_OF_MAPS, keySize: 12, slots: [] });
  });

  it('counts 9 initial slots across its outer maps', () => {
    expect(maps.reduce((n, m) => n + m.slots.length, 0)).toBe(9);
  });
});

describe('an inner map supplied by the user', () => {
  it('replaces a missing inner definition', () => {
    const elf = parseElf(readFixture('bad_no_inner'), { name: 'bad_no_inner.el.o' });
    const inner = makeMapSpec({
      name: 'proto',
      source: 'btf',
      section: '.maps',
      type: MapType.HASH,
      keySize: 4,
      valueSize: 8,
      maxEntries: 4,
    });
    const maps = resolveMaps(elf, readObjectBtf(elf)?.btf, { innerMaps: { outer: inner } });
    expect(byName(maps, 'outer').inner).toBe(inner);
  });
});

describe('prog arrays', () => {
  it('name programs in their slots and fill them after program load', () => {
    const { maps } = open('prog_array');
    const jumps = byName(maps, 'jump_table');
    expect(jumps).toMatchObject({ type: MapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 });
    expect(jumps.slots).toEqual([
      { index: 1, target: 'tail_one', targetKind: 'program' },
      { index: 3, target: 'tail_three', targetKind: 'program' },
    ]);
    const plan = planCreation(maps);
    expect(plan.maps.some((s) => s.kind === 'fill-program-slots')).toBe(false);
    expect(plan.afterPrograms.flatMap((s) => describeStep(s, maps))).toEqual([
      "map 'jump_table': slot [1] set to prog 'tail_one'",
      "map 'jump_table': slot [3] set to prog 'tail_three'",
    ]);
  });
});

describe('legacy maps', () => {
  it('read struct bpf_map_def entries named by their symbols', () => {
    const { maps } = open('legacy_maps');
    expect(maps.map((m) => [m.name, m.source, m.type, m.keySize, m.valueSize, m.maxEntries, m.flags])).toEqual([
      ['legacy_hash', 'legacy', MapType.HASH, 4, 8, 16, 0],
      ['legacy_array', 'legacy', MapType.ARRAY, 4, 4, 4, 0],
    ]);
  });
});

describe('global data', () => {
  const { elf, maps } = open('globals_subprogs');
  const data = (section: string) => maps.find((m) => m.section === section) as MapSpec;

  it('makes one array map per section with libbpf names, flags and freezes', () => {
    expect(maps.map((m) => [m.section, m.name, m.valueSize, m.flags, m.freeze])).toEqual([
      ['.data', 'globals_.data', 4, MapFlag.MMAPABLE, false],
      ['.rodata', 'globals_.rodata', 16, MapFlag.MMAPABLE | MapFlag.RDONLY_PROG, true],
      ['.data.custom', '.data.custom', 4, MapFlag.MMAPABLE, false],
      ['.rodata.custom', '.rodata.custom', 8, MapFlag.MMAPABLE | MapFlag.RDONLY_PROG, true],
      ['.bss', 'globals_.bss', 8, MapFlag.MMAPABLE, false],
    ]);
  });

  it('starts from the section contents, zeros for .bss', () => {
    const view = (m: MapSpec) => new DataView((m.initialData as Uint8Array).buffer);
    expect(view(data('.data')).getInt32(0, true)).toBe(7);
    expect(view(data('.data.custom')).getInt32(0, true)).toBe(42);
    expect(new TextDecoder().decode(data('.rodata.custom').initialData?.subarray(0, 5))).toBe('hello');
    expect([...(data('.bss').initialData ?? [])]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('overrides const volatile values before load, checking their size', () => {
    const btf = readObjectBtf(elf)?.btf;
    const threshold = elf.symbols.find((s) => s.name === 'threshold');
    setConstant(maps, elf, btf, 'threshold', 99);
    setConstant(maps, elf, btf, 'big_limit', 1n << 40n);
    const view = new DataView((data('.rodata').initialData as Uint8Array).buffer);
    expect(view.getInt32(threshold?.value ?? -1, true)).toBe(99);
    expect(view.getBigUint64(elf.symbols.find((s) => s.name === 'big_limit')?.value ?? -1, true)).toBe(1n << 40n);
    expect(() => setConstant(maps, elf, btf, 'threshold', 1n << 40n)).toThrow(/does not fit in 4 bytes/);
    expect(() => setConstant(maps, elf, btf, 'counter', 1)).toThrow(/no read-only global/);
    expect(() => setConstant(maps, elf, btf, 'greeting', new Uint8Array(3))).toThrow(/3 bytes given for a 8-byte/);
  });

  it.each([
    [1.5, /1\.5 is not an integer/],
    ['abc', /the string 'abc' is not an integer/],
    [Number.NaN, /NaN is not an integer/],
    [undefined, /undefined is not an integer/],
  ])('refuses the constant %s with a MapError, not a RangeError or SyntaxError', (value, message) => {
    const btf = readObjectBtf(elf)?.btf;
    let thrown: unknown;
    try {
      setConstant(maps, elf, btf, 'threshold', value as never);
    } catch (error) {
      thrown = error;
    }
    expect(MapError.is(thrown)).toBe(true);
    expect((thrown as MapError).code).toBe('bad-constant');
    expect((thrown as MapError).message).toMatch(message);
  });
});

describe('.kconfig', () => {
  it('is typed by its DATASEC, as libbpf creates it', () => {
    const { elf, maps } = open('kconfig');
    const kconfig = maps.find((m) => m.source === 'kconfig');
    expect(kconfig?.btfValueTypeId).toBe(readObjectBtf(elf)?.btf.byName('.kconfig', 'datasec')?.id);
    expect(kconfig?.btfValueTypeId).toBeGreaterThan(0);
  });
});

describe('kernel names', () => {
  it.each([
    ['selftest_test_b', '.bss', 'selftest.bss'],
    ['selftest_test_b', '.rodata', 'selftest.rodata'],
    ['selftest_test_b', '.kconfig', 'selftes.kconfig'],
    ['selftest_test_b', '.rodata.abracadabra', '.rodata.abracad'],
    ['my-obj', '.data', 'my_obj.data'],
  ])('%s + %s → %s', (object, section, name) => {
    expect(internalMapName(object, section)).toBe(name);
  });

  it('are as the examples in its doc comment say', () => {
    const source = readFileSync(new URL('../src/names.ts', import.meta.url), 'utf8');
    const examples = [...source.matchAll(/`internalMapName\('(.+?)', '(.+?)'\)` is `'(.+?)'`/g)];
    expect(examples.length).toBeGreaterThanOrEqual(3);
    for (const [, object, section, name] of examples)
      expect(internalMapName(object as string, section as string)).toBe(name);
  });
});

describe('validation is repeatable after edits', () => {
  it('catches an edit that breaks a slot', () => {
    const { maps } = open('map_in_map');
    expect(validateMaps(maps)).toEqual([]);
    byName(maps, 'inner_map1').maxEntries = 2;
    const problems = validateMaps(maps, 'map_in_map.el.o');
    expect(problems.map((p) => [p.context.map, p.context.slot, p.context.target])).toEqual([
      ['outer_arr', 0, 'inner_map1'],
      ['outer_hash', 4, 'inner_map1'],
    ]);
  });
});
