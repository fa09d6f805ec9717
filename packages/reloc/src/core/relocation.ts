import type { BtfExt, CoreRelo } from '@bpfkit/btf';
import { RelocError } from '../errors.js';
import type { LinkedPiece } from '../link.js';

/**
 * A CO-RE relocation of a planned program: which instruction, and the compiler's record
 * (local root type, access string, kind). Nothing about the target kernel: it is resolved
 * at load, for the programs that load.
 */
export interface CoreRelocation {
  /** Index of the instruction in the program (subprograms appended). */
  readonly insn: number;
  /** ELF section of the record. */
  readonly section: string;
  /** Index of the instruction in that section. */
  readonly sectionInsn: number;
  /** Position of the record in `.BTF.ext`: libbpf resolves in this order, which decides candidate pruning. */
  readonly order: number;
  /** The record. */
  readonly relo: CoreRelo;
}

/**
 * Every CO-RE record that falls inside the pieces of a linked program, with its instruction
 * index moved into the program, in `.BTF.ext` order. Records outside any function (of a
 * dropped weak function) are skipped, as libbpf does.
 * @throws {@link RelocError} `bad-ext` for a record that does not point at an instruction boundary.
 */
export function coreRelocationsOf(ext: BtfExt | undefined, pieces: readonly LinkedPiece[]): CoreRelocation[] {
  if (ext === undefined || ext.coreRelos.size === 0) return [];
  const out: CoreRelocation[] = [];
  let order = 0;
  for (const [section, relos] of ext.coreRelos) {
    for (const relo of relos) {
      const sectionInsn = relo.insnOffset / 8;
      if (!Number.isInteger(sectionInsn)) {
        throw new RelocError('bad-ext', `CO-RE record at byte ${relo.insnOffset} is not on an instruction boundary`, {
          section,
          offset: relo.insnOffset,
        });
      }
      const piece = pieces.find(
        (p) => p.function.section.name === section && sectionInsn >= p.function.start && sectionInsn < p.function.end,
      );
      if (piece !== undefined) {
        out.push({ insn: piece.base + sectionInsn - piece.function.start, section, sectionInsn, order, relo });
      }
      order++;
    }
  }
  return out;
}
