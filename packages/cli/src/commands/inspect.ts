import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { runningKernelBtf, runningModuleBtfs } from '@bpfkit/loader';
import { describeObject, type KernelView } from '../describe-object.js';
import { externProblems } from '../extern-check.js';
import { featureProbeProblems } from '../feature-probes.js';
import { kernelHelpers } from '../kernel-support.js';
import { colours, table, toJson } from '../output.js';

/** Where the running kernel's BTF is; readable without privileges. */
const KERNEL_BTF = '/sys/kernel/btf/vmlinux';

/** The running kernel as inspect checks an object against it: its BTF, then extern resolution and feature probes. */
function runningKernel(): KernelView | undefined {
  if (!existsSync(KERNEL_BTF)) return undefined;
  const btf = runningKernelBtf();
  return {
    btf,
    check: (parts) => {
      const probes = featureProbeProblems(parts.plans, parts.maps, kernelHelpers(btf));
      const externs = externProblems(
        parts.plans,
        parts.maps,
        parts.btf,
        parts.littleEndian,
        {
          btf,
          modules: runningModuleBtfs,
        },
        parts.refusedExterns,
      );
      return { problems: [...externs, ...probes.problems], notes: probes.notes };
    },
  };
}

/**
 * `bpfkit inspect OBJ [--json]`: what an object holds and what would fail to load, found
 * without loading it: definitions, then (with the kernel's BTF) CO-RE, types, helpers and
 * externs, then (with CAP_BPF) feature probes.
 */
export function inspect(path: string, options: { json?: boolean }): number {
  const kernel = runningKernel();
  const d = describeObject(new Uint8Array(readFileSync(path)), basename(path), kernel);
  if (kernel === undefined)
    d.notes.push(`no kernel BTF at ${KERNEL_BTF}: CO-RE relocations, program types, helpers and externs not checked`);
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
  if (d.notes.length > 0) {
    console.log(`\n${c('bold', 'Notes')}`);
    for (const note of d.notes) console.log(`  ${note}`);
  }
  if (d.problems.length > 0) {
    console.log(`\n${c('red', 'Would fail to load')}`);
    for (const problem of d.problems) console.log(`  ${problem}`);
    return 2;
  }
  console.log(`\n${c('green', 'No problems found.')}`);
  return 0;
}
