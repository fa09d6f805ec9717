import type { SectionRecords } from './ext-info.js';
import { INSN_SIZE } from './insn/instruction.js';
import { PseudoSource } from './insn/opcodes.js';
import type { KsymReference, MapReference, ProgramInstruction, SourceLine } from './program-instruction.js';

/**
 * A run of one code section copied into a program, with the section's `.BTF.ext` records
 * that go with it (func and line info only when the entry point has that kind).
 */
export interface CodePiece {
  /** Where the run starts in the program. */
  readonly base: number;
  /** The section's instruction bytes (aliased, not copied). */
  readonly data: Uint8Array;
  /** Its first instruction's index in the section. */
  readonly start: number;
  /** One past its last instruction's index in the section. */
  readonly end: number;
  /** The section's `.BTF.ext` records, if it has any. */
  readonly records: SectionRecords | undefined;
  /** Whether the program carries func info (its entry point has some). */
  readonly withFunc: boolean;
  /** Whether the program carries line info (its entry point has some). */
  readonly withLine: boolean;
}

/**
 * A linked program as libbpf keeps it at open: the runs of section bytes it is made of (not
 * copied), what linking changed (call offsets, callbacks' source register), and objects
 * only for the instructions that refer to a map or extern; the `.BTF.ext` records of each
 * run are read off when asked for. The per-instruction view ({@link instructions}) is made
 * on demand.
 */
export class ProgramCode {
  constructor(
    /** Byte order of the sections. */
    readonly littleEndian: boolean,
    /** The runs the program is made of, in program order. */
    readonly pieces: readonly CodePiece[],
    /** The map, global data or `__ksym` each referring instruction names, by index in the program. */
    readonly references: ReadonlyMap<number, MapReference | KsymReference>,
    /** New immediates linking wrote (call offsets), by index in the program. */
    readonly immediates: ReadonlyMap<number, number>,
    /** Instructions loading a function's address, whose source register becomes `BPF_PSEUDO_FUNC`. */
    readonly callbacks: ReadonlySet<number>,
  ) {}

  /** Number of instruction slots. */
  get length(): number {
    const last = this.pieces[this.pieces.length - 1];
    return last === undefined ? 0 : last.base + (last.end - last.start);
  }

  /** Each instruction slot with its metadata, as a new array. */
  instructions(): ProgramInstruction[] {
    const le = this.littleEndian;
    const out: ProgramInstruction[] = new Array(this.length);
    for (const { base, data, start, end, records, withFunc, withLine } of this.pieces) {
      const func = withFunc ? records?.func : undefined;
      const line = withLine ? records?.line : undefined;
      const core = records?.core;
      const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      for (let i = start, at = base; i < end; i++, at++) {
        const offset = i * INSN_SIZE;
        const registers = data[offset + 1] as number;
        out[at] = {
          code: data[offset] as number,
          dst: le ? registers & 0xf : registers >> 4,
          src: this.callbacks.has(at) ? PseudoSource.FUNC : le ? registers >> 4 : registers & 0xf,
          off: view.getInt16(offset + 2, le),
          imm: this.immediates.get(at) ?? view.getInt32(offset + 4, le),
          reference: this.references.get(at),
          func: func !== undefined && i < func.length ? func[i] : undefined,
          line: line !== undefined && i < line.length ? this.sourceLine(records as SectionRecords, line[i]) : undefined,
          core: core !== undefined && i < core.length ? core[i] : undefined,
        };
      }
    }
    return out;
  }

  private sourceLine(records: SectionRecords, id: number | undefined): SourceLine | undefined {
    return id === undefined ? undefined : records.lines.sourceLine(id);
  }
}
