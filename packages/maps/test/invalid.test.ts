import { BtfError, readObjectBtf } from '@bpfkit/btf';
import { ElfError, parseElf } from '@bpfkit/elf';
import { allFixtures, readFixture } from '@bpfkit/fixtures';
import { MapType } from '@bpfkit/uapi';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  assertPinnedMapCompatible,
  MapError,
  type MapSpec,
  makeMapSpec,
  pinPath,
  resolveMaps,
  validateMaps,
} from '../src/index.js';

/** What is wrong with fixture `name`: refused at open, else the first problem the report (run at load) finds. */
function resolveError(name: string): MapError {
  const elf = parseElf(readFixture(name), { name: `${name}.el.o` });
  let maps: MapSpec[];
  try {
    maps = resolveMaps(elf, readObjectBtf(elf)?.btf);
  } catch (error) {
    if (MapError.is(error)) return error;
    throw error;
  }
  const [problem] = validateMaps(maps, elf.name);
  if (problem === undefined) throw new Error(`${name} resolved and validated without an error`);
  return problem;
}

/** True when fixture `name` opens (its problem is one a user may still fix by editing the specs). */
function opens(name: string): boolean {
  const elf = parseElf(readFixture(name), { name: `${name}.el.o` });
  try {
    resolveMaps(elf, readObjectBtf(elf)?.btf);
    return true;
  } catch {
    return false;
  }
}

describe('a problem the specs can still fix opens, and is reported before any kernel call', () => {
  it.each([
    ['bad_slot_range', true],
    ['bad_slot_mismatch', true],
    ['bad_slot_nested', true],
    ['bad_no_inner', true],
    ['bad_hash_slots', true],
    ['bad_slot_target', false],
    ['bad_prog_slot', false],
    ['bad_reloc_outside', false],
    ['bad_unknown_attr', false],
  ])('%s opens: %s', (name, expected) => {
    expect(opens(name)).toBe(expected);
  });

  it('an edit before load fixes what the report found', () => {
    const elf = parseElf(readFixture('bad_slot_mismatch'), { name: 'bad_slot_mismatch.el.o' });
    const maps = resolveMaps(elf, readObjectBtf(elf)?.btf);
    const wide = maps.find((m) => m.name === 'wide') as MapSpec;
    expect(validateMaps(maps).map((p) => p.code)).toEqual(['slot-mismatch']);
    wide.valueSize = 4;
    wide.btfValueTypeId = 0;
    expect(validateMaps(maps)).toEqual([]);
  });
});

describe('invalid map objects are refused, naming map, slot and target', () => {
  it('a slot past max_entries of an array of maps', () => {
    const error = resolveError('bad_slot_range');
    expect(error.code).toBe('slot-out-of-range');
    expect(error.context).toMatchObject({
      object: 'bad_slot_range.el.o',
      map: 'outer',
      slot: 3,
      target: 'target',
      actual: 3,
    });
    expect(error.message).toBe(
      "object 'bad_slot_range.el.o': map 'outer': slot [3]: is past the end of the array (max_entries 2) (expected < 2, got 3)",
    );
  });

  it('a target whose value size differs from the inner definition', () => {
    const error = resolveError('bad_slot_mismatch');
    expect(error.code).toBe('slot-mismatch');
    expect(error.context).toMatchObject({ map: 'outer', slot: 1, target: 'wide' });
    expect(error.context.differences).toEqual([{ field: 'value_size', expected: '4', actual: '8' }]);
    expect(error.message).toBe(
      "object 'bad_slot_mismatch.el.o': map 'outer': slot [1]: points to map 'wide' whose value_size 8 differs from the inner definition's 4",
    );
  });

  it('a target that is itself a map-in-map', () => {
    const error = resolveError('bad_slot_nested');
    expect(error.code).toBe('slot-nested');
    expect(error.context).toMatchObject({ map: 'outer', slot: 1, target: 'middle' });
    expect(error.message).toContain("points to map 'middle', itself a ARRAY_OF_MAPS");
  });

  it('a target that is not a map', () => {
    const error = resolveError('bad_slot_target');
    expect(error.code).toBe('slot-not-a-map');
    expect(error.context).toMatchObject({ map: 'outer', slot: 0, target: 'not_a_map', section: '.rel.maps' });
    expect(error.message).toContain("'not_a_map' isn't a BTF-defined map");
  });

  it('a map-in-map with no inner definition', () => {
    const error = resolveError('bad_no_inner');
    expect(error.code).toBe('no-inner-definition');
    expect(error.context.map).toBe('outer');
  });

  it('more slots than a hash of maps holds', () => {
    const error = resolveError('bad_hash_slots');
    expect(error.code).toBe('slot-out-of-range');
    expect(error.context).toMatchObject({ map: 'outer', slot: 9, target: 'c' });
    expect(error.message).toContain('is slot number 3, more than max_entries 2 lets the hash hold');
  });

  it('a prog-array slot that holds a map', () => {
    const error = resolveError('bad_prog_slot');
    expect(error.code).toBe('slot-not-a-program');
    expect(error.context).toMatchObject({ map: 'jumps', slot: 0, target: 'some_map' });
  });

  it('a .rel.maps relocation outside any values array', () => {
    const error = resolveError('bad_reloc_outside');
    expect(error.code).toBe('bad-slot-relocation');
    expect(error.context).toMatchObject({ map: 'outer', target: 'target', section: '.rel.maps' });
  });

  it('an attribute libbpf does not know', () => {
    const error = resolveError('bad_unknown_attr');
    expect(error.code).toBe('unknown-attribute');
    expect(error.context).toMatchObject({ map: 'painted', field: 'colour' });
    expect(error.message).toBe("object 'bad_unknown_attr.el.o': map 'painted': unknown field 'colour'");
  });
});

describe('pinning', () => {
  const spec = makeMapSpec({
    name: 'counts',
    source: 'btf',
    section: '.maps',
    type: MapType.HASH,
    keySize: 4,
    valueSize: 8,
    maxEntries: 16,
    pinning: 1,
  });

  it('pins by name under the pin root', () => {
    expect(pinPath(spec, '/tmp/pins/')).toBe('/tmp/pins/counts');
    expect(pinPath({ ...spec, pinning: 0 })).toBeUndefined();
  });

  it('refuses names that would leave the pin root', () => {
    for (const name of ['..', '../x', 'a/b']) {
      expect(() => pinPath({ ...spec, name })).toThrow(expect.objectContaining({ code: 'bad-name' }));
    }
  });

  it('refuses to reuse a pinned map that differs, naming every difference', () => {
    try {
      assertPinnedMapCompatible(
        spec,
        { type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 32, flags: 0 },
        '/p/counts',
      );
      expect.unreachable();
    } catch (error) {
      expect(MapError.is(error) && error.code).toBe('pin-mismatch');
      expect((error as MapError).context.differences?.map((d) => d.field)).toEqual(['value_size', 'max_entries']);
      expect((error as MapError).message).toContain('value_size 4 (ours 8), max_entries 32 (ours 16)');
    }
    expect(() =>
      assertPinnedMapCompatible(
        spec,
        { type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 16, flags: 0 },
        '/p/counts',
      ),
    ).not.toThrow();
  });
});

const objects = allFixtures().map((f) => readFixture(f.name, f.order));

describe('mutated objects never escape as anything but a typed error', () => {
  test.prop([fc.constantFrom(...objects), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 16 })], {
    numRuns: 400,
  })('random byte overwrites', (original, edits) => {
    const bytes = original.slice();
    for (const [at, value] of edits) bytes[at % bytes.length] = value;
    try {
      const elf = parseElf(bytes);
      resolveMaps(elf, readObjectBtf(elf)?.btf);
    } catch (error) {
      if (!MapError.is(error) && !BtfError.is(error) && !ElfError.is(error)) throw error;
    }
  });
});
