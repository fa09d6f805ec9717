// Checks the built @bpfkit/maps (ESM or CJS) resolves the seed object's slots.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readObjectBtf } from '@bpfkit/btf';
import { parseElf } from '@bpfkit/elf';

export default function smoke(maps) {
  const elf = parseElf(new Uint8Array(readFileSync(new URL('../../fixtures/bpf/map_in_map.el.o', import.meta.url))));
  const specs = maps.resolveMaps(elf, readObjectBtf(elf).btf);
  assert.deepEqual(
    specs.find((m) => m.name === 'outer_hash').slots.map((s) => s.index),
    [0, 4],
  );
  assert.ok(maps.planCreation(specs).maps.some((s) => s.kind === 'create-prototype'));
}
