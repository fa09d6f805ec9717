// Checks the built @bpfkit/elf (ESM or CJS) reads a fixture and reports bad input typed.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

export default function smoke(elf) {
  const bytes = new Uint8Array(readFileSync(new URL('../../fixtures/bpf/map_in_map.el.o', import.meta.url)));
  const file = elf.parseElf(bytes, { name: 'map_in_map.el.o' });
  assert.equal(file.header.machine, elf.Machine.BPF);
  assert.ok(file.sectionByName('.maps'));
  assert.ok(file.symbols.some((s) => s.name === 'outer_hash'));
  assert.throws(
    () => elf.parseElf(new Uint8Array(4)),
    (e) => elf.ElfError.is(e) && e.code === 'truncated',
  );
}
