import type { CoreRelo, LineInfo } from '@bpfkit/btf';
import type { Instruction } from './insn/instruction.js';

/** A map or global-data use: the loader writes the map's fd (or fd_array index) and offset there. */
export interface MapReference {
  /** `map-fd` (BPF_PSEUDO_MAP_FD) or `map-value` (BPF_PSEUDO_MAP_VALUE, global data). */
  readonly kind: 'map-fd' | 'map-value';
  /** Name of the `MapSpec` referred to. */
  readonly map: string;
  /** Offset into the map value, for `map-value`. */
  readonly offset: number;
}

/** A `__ksym` extern use, resolved against the running kernel at load time. */
export interface KsymReference {
  /** A kernel function called directly (kfunc), or a kernel symbol whose address is loaded. */
  readonly kind: 'kfunc' | 'variable';
  /** The extern's name. */
  readonly name: string;
  /** Declared `__weak`: resolves to 0 when the kernel lacks it instead of failing. */
  readonly weak: boolean;
}

/** A source line record (`bpf_line_info` without its instruction offset). */
export type SourceLine = Omit<LineInfo, 'insnOffset'>;

/**
 * A CO-RE record on an instruction: the compiler's relocation (local root type, access
 * string, kind) and where it came from. Nothing about the target kernel: it is resolved at
 * load, for the programs that load.
 */
export interface CoreRecord {
  /** ELF section of the record. */
  readonly section: string;
  /** Index of the instruction in that section. */
  readonly sectionInsn: number;
  /** Position of the record in `.BTF.ext`: libbpf resolves in this order, which decides candidate pruning. */
  readonly order: number;
  /** The record. */
  readonly relo: CoreRelo;
}

/** Where in a program a piece of instruction metadata sits. */
export interface AtInstruction {
  /** The instruction's index in the program (in instructions, not bytes). */
  readonly insn: number;
}

/** A CO-RE relocation of a planned program, at its instruction's index in the program. */
export type CoreRelocation = CoreRecord & AtInstruction;

/**
 * One instruction of a planned program with what is known about it (as cilium's
 * `asm.Instruction` carries its metadata): the map or extern it refers to, the function
 * starting at it, its source line and its CO-RE relocation. Subprograms are appended with
 * their metadata, so nothing is remapped by index; the values are written at load.
 */
export interface ProgramInstruction extends Readonly<Instruction> {
  /** The map, global data or `__ksym` extern it refers to (an ld_imm64 or a kfunc call). */
  readonly reference: MapReference | KsymReference | undefined;
  /** The FUNC type id of the function starting here (`bpf_func_info`). */
  readonly func: number | undefined;
  /** The source line starting here (`bpf_line_info`). */
  readonly line: SourceLine | undefined;
  /** The CO-RE relocation on this instruction. */
  readonly core: CoreRecord | undefined;
}

/** True for a reference the loader writes a map's fd into. */
export function isMapReference(reference: ProgramInstruction['reference']): reference is MapReference {
  return reference !== undefined && (reference.kind === 'map-fd' || reference.kind === 'map-value');
}

/** True for a reference to a `__ksym` extern. */
export function isKsymReference(reference: ProgramInstruction['reference']): reference is KsymReference {
  return reference !== undefined && (reference.kind === 'kfunc' || reference.kind === 'variable');
}

/** Metadata of kind `K` found on `instructions`, each with its instruction's index, in order. */
function located<K extends 'reference' | 'func' | 'line' | 'core', T>(
  instructions: readonly ProgramInstruction[],
  key: K,
  accept: (value: ProgramInstruction[K]) => value is ProgramInstruction[K] & T,
): { readonly insn: number; readonly value: T }[] {
  const out: { insn: number; value: T }[] = [];
  for (let insn = 0; insn < instructions.length; insn++) {
    const value = (instructions[insn] as ProgramInstruction)[key];
    if (accept(value)) out.push({ insn, value });
  }
  return out;
}

const present = <V>(value: V): value is V & NonNullable<V> => value !== undefined;

/** Every map and global-data reference of a program, with its instruction's index. */
export function mapReferencesOf(instructions: readonly ProgramInstruction[]): (MapReference & AtInstruction)[] {
  return located(instructions, 'reference', isMapReference).map(({ insn, value }) => ({ insn, ...value }));
}

/** Every `__ksym` reference of a program, with its instruction's index. */
export function ksymReferencesOf(instructions: readonly ProgramInstruction[]): (KsymReference & AtInstruction)[] {
  return located(instructions, 'reference', isKsymReference).map(({ insn, value }) => ({ insn, ...value }));
}

/** Every CO-RE relocation of a program, with its instruction's index, in program order. */
export function coreRelocationsOf(instructions: readonly ProgramInstruction[]): CoreRelocation[] {
  return located(instructions, 'core', present).map(({ insn, value }) => ({ insn, ...value }));
}
