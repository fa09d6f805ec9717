import { readObjectBtf } from '@bpfkit/btf';
import { parseElf } from '@bpfkit/elf';
import { libbpfComparableFixtures, readFixture, requireTool } from '@bpfkit/fixtures';
import { describe, expect, it } from 'vitest';
import { type MapSpec, resolveMaps } from '../src/index.js';
import { loadWithLibbpf } from './libbpf.js';

const bpftool = requireTool('bpftool', 'bpftool', 'version');
const fixtures = libbpfComparableFixtures();

function resolve(name: string): MapSpec[] {
  const elf = parseElf(readFixture(name), { name: `${name}.el.o` });
  return resolveMaps(elf, readObjectBtf(elf)?.btf, { objectName: name.slice(0, 15) });
}

describe.skipIf(!bpftool)('maps resolve as libbpf resolves them (bpftool -d prog loadall)', () => {
  it.each(fixtures.map((f) => [f.name, f] as const))('%s', (name, fixture) => {
    const ours = resolve(name);
    const libbpf = loadWithLibbpf(fixture.path);
    expect(libbpf.maps.length).toBeGreaterThan(0);

    const flattened = ours.flatMap((m) => (m.inner ? [m, m.inner] : [m]));
    expect(flattened.map((m) => m.name).sort()).toEqual(libbpf.maps.map((m) => m.name).sort());
    for (const theirs of libbpf.maps) {
      const spec = flattened.find((m) => m.name === theirs.name) as MapSpec;
      const seen: Record<string, number> = {};
      const compare = (field: keyof MapSpec, value: number | undefined) => {
        if (value !== undefined) seen[field] = spec[field] as number;
      };
      compare('type', theirs.type);
      compare('keySize', theirs.keySize);
      compare('valueSize', theirs.valueSize);
      compare('maxEntries', theirs.maxEntries);
      compare('flags', theirs.flags);
      compare('btfKeyTypeId', theirs.keyTypeId);
      if (spec.inner === undefined && spec.slots.length === 0) compare('btfValueTypeId', theirs.valueTypeId);
      const expected = Object.fromEntries(
        Object.keys(seen).map((k) => [
          k,
          {
            type: theirs.type,
            keySize: theirs.keySize,
            valueSize: theirs.valueSize,
            maxEntries: theirs.maxEntries,
            flags: theirs.flags,
            btfKeyTypeId: theirs.keyTypeId,
            btfValueTypeId: theirs.valueTypeId,
          }[k],
        ]),
      );
      expect({ map: theirs.name, ...seen }).toEqual({ map: theirs.name, ...expected });
    }

    const ourSlots = ours.flatMap((m) =>
      m.slots.map((s) => ({
        map: m.name,
        slot: s.index,
        target: s.target,
        kind: s.targetKind === 'map' ? 'map' : 'prog',
      })),
    );
    const sortSlots = (list: typeof ourSlots) =>
      [...list].sort((a, b) => (a.map + a.slot).localeCompare(b.map + b.slot));
    expect(sortSlots(ourSlots)).toEqual(sortSlots(libbpf.slots));
    expect(libbpf.created.sort()).toEqual(ours.map((m) => m.name).sort());
  });
});
