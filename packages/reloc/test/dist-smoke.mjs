// Checks the built @bpfkit/reloc (ESM or CJS) plans programs and disassembles them.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readObjectBtf } from '@bpfkit/btf';
import { parseElf } from '@bpfkit/elf';
import { resolveMaps } from '@bpfkit/maps';

export default function smoke(reloc) {
  const elf = parseElf(
    new Uint8Array(readFileSync(new URL('../../fixtures/bpf/globals_subprogs.el.o', import.meta.url))),
  );
  const { btf, ext } = readObjectBtf(elf);
  const [entry] = reloc.planPrograms(elf, resolveMaps(elf, btf), { btf, ext });
  assert.equal(entry.name, 'entry');
  assert.deepEqual(
    entry.subprograms.map((s) => s.name),
    ['sum_index', 'scale', 'add'],
  );
  assert.equal(reloc.disassemble(entry.instructions).at(-1).text, 'exit');
}
