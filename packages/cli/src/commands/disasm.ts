import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import * as btfLib from '@bpfkit/btf';
import * as elfLib from '@bpfkit/elf';
import * as mapsLib from '@bpfkit/maps';
import * as reloc from '@bpfkit/reloc';
import { colours } from '../output.js';
import { UsageError } from '../values.js';

/** `bpfkit disasm OBJ [PROG]`: each program as it will load (subprograms appended), with source lines. */
export function disasm(path: string, program: string | undefined): number {
  const c = colours(process.stdout);
  const file = elfLib.parseElf(new Uint8Array(readFileSync(path)), { name: basename(path) });
  const object = btfLib.readObjectBtf(file);
  const maps = mapsLib.resolveMaps(file, object?.btf);
  const plans = reloc
    .planPrograms(file, maps, {
      ...(object?.ext ? { ext: object.ext } : {}),
    })
    .filter((p) => program === undefined || p.name === program);
  if (plans.length === 0) throw new UsageError(`no program named '${program}'`);
  for (const plan of plans) {
    console.log(c('bold', `${plan.name}:`) + c('dim', ` (section ${plan.section})`));
    const starts = [{ name: plan.name, start: 0 }, ...plan.subprograms].sort((a, b) => a.start - b.start);
    const labeler = (index: number) => [...starts].reverse().find((s) => s.start <= index);
    const lines = new Map(plan.lineInfo.map((l) => [l.insn, l]));
    const references = new Map(plan.references.map((r) => [r.insn, r]));
    for (const { index, text } of reloc.disassemble(plan.instructions, labeler)) {
      const subprogram = plan.subprograms.find((s) => s.start === index);
      if (subprogram !== undefined) console.log(c('bold', `${subprogram.name}:`));
      const line = lines.get(index);
      if (line !== undefined)
        console.log(c('green', `; ${line.source.trim()}`) + c('dim', ` @ ${basename(line.fileName)}:${line.line}`));
      const ref = references.get(index);
      const note =
        ref === undefined ? '' : c('cyan', `  ; map '${ref.map}'${ref.kind === 'map-value' ? ` + ${ref.offset}` : ''}`);
      console.log(`${String(index).padStart(6)}: ${text}${note}`);
    }
    console.log();
  }
  return 0;
}
