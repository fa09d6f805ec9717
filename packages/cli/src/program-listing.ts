import * as btfLib from '@bpfkit/btf';
import type * as elfLib from '@bpfkit/elf';
import * as mapsLib from '@bpfkit/maps';
import * as reloc from '@bpfkit/reloc';

/** One line of a program's listing: a function's start, a source line, or an instruction. */
export type ListingLine =
  | { readonly kind: 'function'; readonly name: string }
  | { readonly kind: 'source'; readonly text: string; readonly file: string; readonly line: number }
  | {
      readonly kind: 'insn';
      readonly index: number;
      readonly text: string;
      /** The map an instruction loads (and the offset into its value, for global data). */
      readonly map?: { readonly name: string; readonly offset: number | undefined };
    };

/** A program as it will load (subprograms appended), line by line. */
export interface ProgramListing {
  readonly name: string;
  readonly section: string;
  readonly lines: readonly ListingLine[];
}

const baseName = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/**
 * The listings `bpfkit disasm` prints, for every program of `file` or only `program`: each
 * function's label, the source lines from BTF.ext and the instructions with the maps they load.
 * Pure: the web inspector shows the same.
 */
export function programListings(file: elfLib.ElfFile, program?: string): ProgramListing[] {
  const object = btfLib.readObjectBtf(file);
  const maps = mapsLib.resolveMaps(file, object?.btf);
  const plans = reloc
    .planPrograms(file, maps, object?.ext ? { ext: object.ext } : {})
    .filter((p) => program === undefined || p.name === program);
  return plans.map((plan) => {
    const starts = [{ name: plan.name, start: 0 }, ...plan.subprograms].sort((a, b) => a.start - b.start);
    const labeler = (index: number) => [...starts].reverse().find((s) => s.start <= index);
    const lines: ListingLine[] = [];
    for (const { index, text } of reloc.disassemble(plan.instructions, labeler)) {
      const subprogram = plan.subprograms.find((s) => s.start === index);
      if (subprogram !== undefined) lines.push({ kind: 'function', name: subprogram.name });
      const insn = plan.instructions[index];
      const source = insn?.line;
      if (source !== undefined)
        lines.push({ kind: 'source', text: source.source.trim(), file: baseName(source.fileName), line: source.line });
      const ref = insn?.reference;
      lines.push({
        kind: 'insn',
        index,
        text,
        ...(!reloc.isMapReference(ref)
          ? {}
          : { map: { name: ref.map, offset: ref.kind === 'map-value' ? ref.offset : undefined } }),
      });
    }
    return { name: plan.name, section: plan.section, lines };
  });
}
