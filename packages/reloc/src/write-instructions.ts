import { RelocError } from './errors.js';
import {
  decodeInstructions,
  INSN_SIZE,
  type Instruction,
  withSourceRegister,
  writeInstruction,
} from './insn/instruction.js';
import { PseudoSource } from './insn/opcodes.js';
import type { ProgramCode } from './program-code.js';
import { isMapReference, type MapReference, type ProgramInstruction } from './program-instruction.js';

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

/** A program's instructions as it loads, encoded, and the fds their indexes refer to. */
export interface WrittenProgram {
  /** The instruction slots, encoded in the byte order asked for. */
  readonly bytes: Uint8Array;
  /** The given prefix (module BTF fds), then in `fd-array` mode map fds in first-use order. */
  readonly fdArray: number[];
}

/**
 * The instructions a program loads with, written in one place: the plan's instructions
 * (metadata dropped) encoded with each patch applied (CO-RE fix-ups, `__ksym` externs), then
 * each map reference's fd (or fd_array index) written into its ld_imm64, with the value
 * offset in the second half for global data. Written straight into one buffer, with no
 * object per instruction; the plan is left untouched.
 * @throws {@link RelocError} `missing-map` naming program, instruction and map when
 * `mapFd` has no fd for a map the program uses.
 */
export function writeProgram(
  instructions: readonly ProgramInstruction[],
  mapFd: (map: string) => number | undefined,
  littleEndian: boolean,
  writes: InstructionWrites = {},
): WrittenProgram {
  const count = instructions.length;
  const bytes = new Uint8Array(count * INSN_SIZE);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < count; i++) writeInstruction(view, i * INSN_SIZE, instructions[i] as Instruction, littleEndian);
  const references: [number, MapReference][] = [];
  for (let at = 0; at < count; at++) {
    const reference = (instructions[at] as ProgramInstruction).reference;
    if (isMapReference(reference)) references.push([at, reference]);
  }
  return finishProgram(bytes, references, mapFd, littleEndian, writes);
}

/**
 * {@link writeProgram} for a plan's instructions kept as bytes (`programCode(plan)`): the
 * same bytes and fd_array, copied from the sections' bytes instead of written instruction by
 * instruction.
 * @throws {@link RelocError} `missing-map` as {@link writeProgram} does.
 */
export function writeProgramCode(
  code: ProgramCode,
  mapFd: (map: string) => number | undefined,
  littleEndian: boolean,
  writes: InstructionWrites = {},
): WrittenProgram {
  const references: [number, MapReference][] = [];
  for (const [at, reference] of code.references) if (isMapReference(reference)) references.push([at, reference]);
  // In instruction order, as writeProgram meets them (fd_array indexes follow first use).
  references.sort((a, b) => a[0] - b[0]);
  return finishProgram(code.encode(littleEndian), references, mapFd, littleEndian, writes);
}

/** Applies `writes.patches` to a program's encoded instructions, then writes each map reference's fd or fd_array index. */
function finishProgram(
  bytes: Uint8Array,
  references: readonly (readonly [number, MapReference])[],
  mapFd: (map: string) => number | undefined,
  littleEndian: boolean,
  writes: InstructionWrites,
): WrittenProgram {
  const count = bytes.length / INSN_SIZE;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const patches of writes.patches ?? []) {
    for (const patch of patches) {
      const { insn, replacement } = patch;
      for (let slot = 0; slot < replacement.length && insn + slot < count; slot++)
        writeInstruction(view, (insn + slot) * INSN_SIZE, replacement[slot] as Instruction, littleEndian);
    }
  }
  const fdArray: number[] = writes.fdArrayPrefix === undefined ? [] : [...writes.fdArrayPrefix];
  let byFd: Map<number, number> | undefined;
  for (const [at, ref] of references) {
    const fd = mapFd(ref.map);
    if (fd === undefined || at + 1 >= count) {
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
    let src: number;
    let imm: number;
    if (writes.mode === 'fd-array') {
      byFd ??= new Map();
      let index = byFd.get(fd);
      if (index === undefined) {
        index = fdArray.push(fd) - 1;
        byFd.set(fd, index);
      }
      src = ref.kind === 'map-fd' ? PseudoSource.MAP_IDX : PseudoSource.MAP_IDX_VALUE;
      imm = index;
    } else {
      src = ref.kind === 'map-fd' ? PseudoSource.MAP_FD : PseudoSource.MAP_VALUE;
      imm = fd;
    }
    const first = at * INSN_SIZE;
    bytes[first + 1] = withSourceRegister(bytes[first + 1] as number, src, littleEndian);
    view.setInt32(first + 4, imm, littleEndian);
    view.setInt32(first + INSN_SIZE + 4, ref.kind === 'map-fd' ? 0 : ref.offset, littleEndian);
  }
  return { bytes, fdArray };
}

/**
 * {@link writeProgram}'s result as instruction slots, for tools and tests that look at
 * them: the same patches, map fds and fd_array.
 * @throws {@link RelocError} `missing-map` as {@link writeProgram} does.
 */
export function writeInstructions(
  instructions: readonly ProgramInstruction[],
  mapFd: (map: string) => number | undefined,
  writes: InstructionWrites = {},
): WrittenInstructions {
  const { bytes, fdArray } = writeProgram(instructions, mapFd, true, writes);
  return { instructions: decodeInstructions(bytes, true), fdArray };
}
