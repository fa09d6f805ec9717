import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { runningKernelBtf } from '@bpfkit/loader';
import { describeObject } from '../describe-object.js';
import { colours, table, toJson } from '../output.js';

/** `bpfkit inspect OBJ [--json]`: what an object holds and what would fail (CO-RE included), without privileges. */
export function inspect(path: string, options: { json?: boolean }): number {
  // CO-RE is checked against the running kernel's BTF when it has one (readable without privileges).
  const kernelBtf = existsSync('/sys/kernel/btf/vmlinux') ? runningKernelBtf() : undefined;
  const d = describeObject(new Uint8Array(readFileSync(path)), basename(path), kernelBtf);
  if (options.json) {
    console.log(toJson(d));
    return d.problems.length === 0 ? 0 : 2;
  }
  const c = colours(process.stdout);
  console.log(`${c('bold', `${d.name}`)} (ELF64 ${d.byteOrder}-endian BPF)`);
  console.log(`\n${c('bold', 'Programs')}`);
  console.log(
    table(
      ['name', 'section', 'type', 'attach', 'insns', 'subprograms', 'maps'],
      d.programs.map((p) => [
        p.name,
        p.section,
        p.type,
        p.attachType,
        p.instructions,
        p.subprograms.join(', ') || '-',
        p.maps.join(', ') || '-',
      ]),
    ),
  );
  console.log(`\n${c('bold', 'Maps')}`);
  console.log(
    table(
      ['name', 'source', 'type', 'key', 'value', 'max', 'flags', 'pinning', 'inner', 'slots'],
      d.maps.map((m) => [
        m.name,
        m.source,
        m.type,
        m.keySize,
        m.valueSize,
        m.maxEntries,
        m.flags,
        m.pinning,
        m.inner ?? '-',
        m.slots.join(', ') || '-',
      ]),
    ),
  );
  console.log(
    `\n${c('bold', 'BTF')}: ${d.btf ? `${d.btf.types} types, ${d.btf.strings} bytes of strings` : 'none'}; CO-RE relocations: ${d.coreRelocations}`,
  );
  console.log(`\n${c('bold', 'Sections')}`);
  console.log(
    table(
      ['name', 'type', 'size'],
      d.sections.map((s) => [s.name, s.type, s.size]),
    ),
  );
  if (d.problems.length > 0) {
    console.log(`\n${c('red', 'Would fail to load')}`);
    for (const problem of d.problems) console.log(`  ${problem}`);
    return 2;
  }
  console.log(`\n${c('green', 'No problems found.')}`);
  return 0;
}
