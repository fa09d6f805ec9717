import { RelocError } from './errors.js';
import type { Instruction } from './insn/instruction.js';
import { PseudoSource } from './insn/opcodes.js';
import { isMapReference, type ProgramInstruction } from './program-instruction.js';

/**
 * New values for one instruction of a program (both slots of an ld_imm64), decided before
 * load: a CO-RE fix-up (`relocateCore`) or a resolved `__ksym` extern (`resolveKsyms`).
 */
export interface InstructionPatch {
  /** Index of the instruction in the program. */
  readonly insn: number;
  /** What the instruction becomes, and for an ld_imm64 its second slot. */
  readonly replacement: readonly Instruction[];
}

/**
 * How a loaded program's instructions name maps: `fd` writes each map's fd into its ld_imm64
 * (`BPF_PSEUDO_MAP_FD`/`_VALUE`, what libbpf does); `fd-array` writes an index into an
 * `fd_array` passed with the load (`BPF_PSEUDO_MAP_IDX`/`_IDX_VALUE`, Linux 5.14+), so the
 * instructions do not depend on fd numbers.
 */
export type MapReferenceMode = 'fd' | 'fd-array';

/** A program's instructions as it loads and the fds their indexes refer to. */
export interface WrittenInstructions {
  /** The program's instructions with every patch and map reference written in. */
  readonly instructions: Instruction[];
  /** The given prefix (module BTF fds), then in `fd-array` mode map fds in first-use order. */
  readonly fdArray: number[];
}

/** What {@link writeInstructions} writes besides map fds. */
export interface InstructionWrites {
  /** CO-RE fix-ups and resolved `__ksym` externs, applied in order. */
  readonly patches?: readonly (readonly InstructionPatch[])[];
  /** `fd` (default) or `fd-array`. */
  readonly mode?: MapReferenceMode;
  /** What the fd_array starts with (module BTF fds for kfunc calls), before any map index. */
  readonly fdArrayPrefix?: readonly number[];
  /** The program, for errors. */
  readonly program?: string;
  /** The object, for errors. */
  readonly object?: string;
}

/**
 * The instructions a program loads with, written in one place: a copy of the plan's
 * instructions (metadata dropped) with each patch applied (CO-RE fix-ups, `__ksym`
 * externs), then each map reference's fd (or fd_array index) written into its ld_imm64, with
 * the value offset in the second half for global data. The plan is left untouched.
 * @throws {@link RelocError} `missing-map` naming program, instruction and map when
 * `mapFd` has no fd for a map the program uses.
 */
export function writeInstructions(
  instructions: readonly ProgramInstruction[],
  mapFd: (map: string) => number | undefined,
  writes: InstructionWrites = {},
): WrittenInstructions {
  const out: Instruction[] = new Array(instructions.length);
  for (let i = 0; i < instructions.length; i++) {
    const { code, dst, src, off, imm } = instructions[i] as ProgramInstruction;
    out[i] = { code, dst, src, off, imm };
  }
  for (const patches of writes.patches ?? []) {
    for (const patch of patches) {
      patch.replacement.forEach((insn, slot) => {
        if (patch.insn + slot < out.length) out[patch.insn + slot] = { ...insn };
      });
    }
  }
  const fdArray: number[] = [...(writes.fdArrayPrefix ?? [])];
  const byFd = new Map<number, number>();
  for (let at = 0; at < instructions.length; at++) {
    const ref = (instructions[at] as ProgramInstruction).reference;
    if (!isMapReference(ref)) continue;
    const fd = mapFd(ref.map);
    const first = out[at] as Instruction;
    const second = out[at + 1];
    if (fd === undefined || second === undefined) {
      throw new RelocError(
        'missing-map',
        fd === undefined
          ? `refers to map '${ref.map}', which has no fd`
          : `map reference to '${ref.map}' points past the instructions`,
        {
          ...(writes.object === undefined ? {} : { object: writes.object }),
          ...(writes.program === undefined ? {} : { program: writes.program }),
          insn: at,
          symbol: ref.map,
        },
      );
    }
    if (writes.mode === 'fd-array') {
      let index = byFd.get(fd);
      if (index === undefined) {
        index = fdArray.push(fd) - 1;
        byFd.set(fd, index);
      }
      first.src = ref.kind === 'map-fd' ? PseudoSource.MAP_IDX : PseudoSource.MAP_IDX_VALUE;
      first.imm = index;
    } else {
      first.src = ref.kind === 'map-fd' ? PseudoSource.MAP_FD : PseudoSource.MAP_VALUE;
      first.imm = fd;
    }
    second.imm = ref.kind === 'map-fd' ? 0 : ref.offset;
  }
  return { instructions: out, fdArray };
}
