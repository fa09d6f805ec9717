import { readObjectBtf } from '@bpfkit/btf';
import { parseElf } from '@bpfkit/elf';
import { loadableFixtures, readFixture } from '@bpfkit/fixtures';
import { MapType } from '@bpfkit/uapi';
import { describe, expect, it } from 'vitest';
import { makeMapSpec, mapKernelRuleProblems, resolveMaps, roundedRingBuffers } from '../src/index.js';

const mapsOf = (name: string) => {
  const file = parseElf(readFixture(name), { name: `${name}.el.o` });
  return resolveMaps(file, readObjectBtf(file)?.btf);
};

describe('map definitions the kernel refuses to create', () => {
  it('names each broken rule of bad_map_rules: map, attribute, what the kernel takes and what it got', () => {
    const problems = mapKernelRuleProblems(mapsOf('bad_map_rules'), 'bad_map_rules.el.o');
    expect(problems.map((p) => [p.code, p.context.map, p.context.field, p.context.expected, p.context.actual])).toEqual(
      [
        ['kernel-rule', 'wide_index', 'key_size', '4', 8],
        ['kernel-rule', 'keyed_ring', 'key_size', '0', 4],
        ['kernel-rule', 'mapped_hash', 'map_flags', 'BPF_F_MMAPABLE clear', '0x400'],
        ['kernel-rule', 'sized_storage', 'max_entries', '0', 8],
        ['kernel-rule', 'outer_of_wide.inner', 'key_size', '4', 8],
      ],
    );
    expect(problems[0]?.message).toBe(
      "object 'bad_map_rules.el.o': map 'wide_index': the kernel refuses this key_size for maps of type ARRAY (expected 4, got 8)",
    );
  });

  it('finds nothing in the fixtures this kernel loads', () => {
    for (const fixture of loadableFixtures())
      expect(mapKernelRuleProblems(mapsOf(fixture.name)), fixture.label).toEqual([]);
  });

  it.each([
    [
      'an LPM trie without BPF_F_NO_PREALLOC',
      { type: MapType.LPM_TRIE, keySize: 8, valueSize: 4, maxEntries: 1 },
      'map_flags',
    ],
    [
      'an LPM trie key too short for a prefix',
      { type: MapType.LPM_TRIE, keySize: 4, valueSize: 4, maxEntries: 1, flags: 1 },
      'key_size',
    ],
    [
      'a hash key past the 512-byte stack',
      { type: MapType.HASH, keySize: 513, valueSize: 4, maxEntries: 1 },
      'key_size',
    ],
    [
      'a prog array value that is not an fd',
      { type: MapType.PROG_ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 },
      'value_size',
    ],
    ['an empty ring buffer', { type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 0 }, 'max_entries'],
    [
      'a preallocation flag on an array',
      { type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, flags: 1 },
      'map_flags',
    ],
  ])('%s', (_what, definition, field) => {
    const spec = makeMapSpec({ name: 'm', source: 'btf', section: '.maps', ...definition });
    expect(mapKernelRuleProblems([spec]).map((p) => p.context.field)).toEqual([field]);
  });
});

describe('ring buffers the loader rounds up', () => {
  it('lists a size that is not a power-of-two number of pages, with the size created', () => {
    expect(roundedRingBuffers(mapsOf('bad_map_rules'), 4096)).toEqual([{ map: 'odd_ring', size: 5000, created: 8192 }]);
  });
});
