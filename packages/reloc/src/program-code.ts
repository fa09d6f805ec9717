import type { EncodedRecords, SectionRecords } from './ext-info.js';
import {
  decodeInstructions,
  destinationRegister,
  INSN_SIZE,
  type Instruction,
  sourceRegister,
  withSourceRegister,
  writeInstruction,
} from './insn/instruction.js';
import { PseudoSource } from './insn/opcodes.js';
import {
  type CoreRelocation,
  isKsymReference,
  type KsymReference,
  type MapReference,
  type ProgramInstruction,
  type SourceLine,
} from './program-instruction.js';

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

  /** True when an instruction carries a CO-RE relocation. */
  hasCoreRelocations(): boolean {
    return this.pieces.some((p) => p.records?.core.hasIn(p.start, p.end) === true);
  }

  /**
   * The CO-RE relocations of the program, in program order: what `coreRelocationsOf` finds
   * on {@link instructions}, read off the records without making an object per instruction.
   */
  coreRelocations(): CoreRelocation[] {
    const out: CoreRelocation[] = [];
    for (const { base, start, end, records } of this.pieces) {
      records?.core.forEachIn(start, end, (i, record) => {
        out.push({ insn: base + (i - start), ...record });
      });
    }
    return out;
  }

  /**
   * Instruction slot `at` with what linking changed, as {@link instructions} holds it (less
   * its metadata), decoded alone; `undefined` past the end.
   */
  instruction(at: number): Instruction | undefined {
    for (const { base, data, start, end } of this.pieces) {
      if (at < base || at >= base + (end - start)) continue;
      const offset = (start + at - base) * INSN_SIZE;
      const [slot] = decodeInstructions(data.subarray(offset, offset + INSN_SIZE), this.littleEndian) as [Instruction];
      if (this.callbacks.has(at)) slot.src = PseudoSource.FUNC;
      slot.imm = this.immediates.get(at) ?? slot.imm;
      return slot;
    }
    return undefined;
  }

  /** True when an instruction refers to a `__ksym` extern. */
  hasKsymReferences(): boolean {
    for (const reference of this.references.values()) if (isKsymReference(reference)) return true;
    return false;
  }

  /**
   * The instruction slots with what linking changed, in the byte order asked for (the
   * sections' bytes copied run by run when it is theirs): what {@link instructions} holds,
   * encoded, without a per-instruction object.
   */
  encode(littleEndian: boolean): Uint8Array {
    const bytes = new Uint8Array(this.length * INSN_SIZE);
    const view = new DataView(bytes.buffer);
    for (const { base, data, start, end } of this.pieces) {
      const run = data.subarray(start * INSN_SIZE, end * INSN_SIZE);
      if (littleEndian === this.littleEndian) {
        bytes.set(run, base * INSN_SIZE);
        continue;
      }
      // The other byte order: each slot decoded and written again.
      const slots = decodeInstructions(run, this.littleEndian);
      for (let k = 0; k < slots.length; k++)
        writeInstruction(view, (base + k) * INSN_SIZE, slots[k] as Instruction, littleEndian);
    }
    for (const at of this.callbacks) {
      const registers = at * INSN_SIZE + 1;
      bytes[registers] = withSourceRegister(bytes[registers] as number, PseudoSource.FUNC, littleEndian);
    }
    for (const [at, imm] of this.immediates) view.setInt32(at * INSN_SIZE + 4, imm, littleEndian);
    return bytes;
  }

  /** The program's `bpf_func_info` records for BPF_PROG_LOAD: what `encodeFuncInfo` writes from {@link instructions}. */
  funcInfo(littleEndian: boolean): EncodedRecords {
    const count = this.countRecords('func');
    const view = new DataView(new ArrayBuffer(count * 8));
    let at = 0;
    this.eachRecord('func', (insn, typeId) => {
      view.setUint32(at, insn, littleEndian);
      view.setUint32(at + 4, typeId, littleEndian);
      at += 8;
    });
    return { bytes: new Uint8Array(view.buffer), count };
  }

  /** The program's `bpf_line_info` records for BPF_PROG_LOAD: what `encodeLineInfo` writes from {@link instructions}. */
  lineInfo(littleEndian: boolean): EncodedRecords {
    const count = this.countRecords('line');
    const view = new DataView(new ArrayBuffer(count * 16));
    let at = 0;
    this.eachRecord('line', (insn, id, records) => {
      records.lines.write(view, at, insn, id, littleEndian);
      at += 16;
    });
    return { bytes: new Uint8Array(view.buffer), count };
  }

  /** How many func or line records the program carries. */
  private countRecords(kind: 'func' | 'line'): number {
    let count = 0;
    this.eachRecord(kind, () => count++);
    return count;
  }

  /**
   * Calls `visit` with each func or line record the program carries, in program order: the
   * instruction's index in the program, the record (a FUNC type id, or a line's id in its
   * section's source lines) and the section's records. A kind goes only with the pieces of a
   * program whose entry point has it.
   */
  private eachRecord(kind: 'func' | 'line', visit: (insn: number, id: number, records: SectionRecords) => void): void {
    for (const { base, start, end, records, withFunc, withLine } of this.pieces) {
      if (records === undefined || !(kind === 'func' ? withFunc : withLine)) continue;
      records[kind].forEachIn(start, end, (i, id) => visit(base + (i - start), id, records));
    }
  }

  /** Each instruction slot with its metadata, as a new array. */
  instructions(): ProgramInstruction[] {
    const le = this.littleEndian;
    const out: ProgramInstruction[] = new Array(this.length);
    for (const { base, data, start, end, records, withFunc, withLine } of this.pieces) {
      const func = withFunc ? records?.func.reader(start) : undefined;
      const line = withLine ? records?.line.reader(start) : undefined;
      const core = records?.core.reader(start);
      const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      for (let i = start, at = base; i < end; i++, at++) {
        const offset = i * INSN_SIZE;
        const registers = data[offset + 1] as number;
        out[at] = {
          code: data[offset] as number,
          dst: destinationRegister(registers, le),
          src: this.callbacks.has(at) ? PseudoSource.FUNC : sourceRegister(registers, le),
          off: view.getInt16(offset + 2, le),
          imm: this.immediates.get(at) ?? view.getInt32(offset + 4, le),
          reference: this.references.get(at),
          func: func?.(i),
          line: line === undefined ? undefined : this.sourceLine(records as SectionRecords, line(i)),
          core: core?.(i),
        };
      }
    }
    return out;
  }

  private sourceLine(records: SectionRecords, id: number | undefined): SourceLine | undefined {
    return id === undefined ? undefined : records.lines.sourceLine(id);
  }
}
