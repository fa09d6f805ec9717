import { type BtfExt, type LineInfo, lineRecordsOf } from '@bpfkit/btf';
import { RelocError } from './errors.js';
import { INSN_SIZE } from './insn/instruction.js';
import { InsnRecords, noInsnRecords } from './insn-records.js';
import type { ProgramPlan } from './plan.js';
import type { CoreRecord, ProgramInstruction, SourceLine } from './program-instruction.js';
import { SourceLines, writeLineInfo } from './source-lines.js';

/** A `bpf_func_info` record of the final program. */
export interface ProgramFuncInfo {
  /** Instruction index in the final program. */
  readonly insn: number;
  /** FUNC type id in the object's BTF. */
  readonly typeId: number;
}

/** A `bpf_line_info` record of the final program: the object's record, placed by instruction index. */
export interface ProgramLineInfo extends SourceLine {
  /** Instruction index in the final program. */
  readonly insn: number;
}

/**
 * A subprogram without records of a kind its entry point has (e.g. a function written in
 * assembly): libbpf refuses to load such a program, and so does the loader.
 */
export interface MissingExtInfo {
  /** Which records it lacks. */
  readonly kind: 'func' | 'line';
  /** The subprogram lacking them. */
  readonly subprogram: string;
}

/** The `.BTF.ext` records of one code section, by instruction index in the section. */
export interface SectionRecords {
  /** FUNC type id of the function starting at each instruction that starts one. */
  readonly func: InsnRecords<number>;
  /** Source line starting at each instruction that starts one, as its id in {@link lines}. */
  readonly line: InsnRecords<number>;
  /** The object's source lines. */
  readonly lines: SourceLines;
  /** CO-RE record on each instruction that has one. */
  readonly core: InsnRecords<CoreRecord>;
}

/** The instruction index of a record's byte offset. @throws {@link RelocError} `bad-ext` off an instruction boundary. */
function recordInsn(what: string, section: string, offset: number): number {
  const insn = offset / INSN_SIZE;
  if (!Number.isInteger(insn)) {
    throw new RelocError('bad-ext', `${what} record at byte ${offset} is not on an instruction boundary`, {
      section,
      offset,
    });
  }
  return insn;
}

/**
 * Func, line and CO-RE records of every section of `.BTF.ext`, indexed by instruction, read
 * once per object: linking attaches them to the instructions it copies. CO-RE records are
 * numbered in `.BTF.ext` order (libbpf resolves in that order).
 * @throws {@link RelocError} `bad-ext` for a record that does not point at an instruction boundary.
 */
export function recordsBySection(ext: BtfExt | undefined): Map<string, SectionRecords> {
  const sections = new Map<string, { -readonly [K in keyof SectionRecords]: SectionRecords[K] }>();
  if (ext === undefined) return sections;
  const raw = lineRecordsOf(ext);
  const decoded: LineInfo[] = [];
  const lines = new SourceLines(raw, decoded);
  const of = (section: string) => {
    let records = sections.get(section);
    if (records === undefined) {
      records = { func: noInsnRecords, line: noInsnRecords, lines, core: noInsnRecords };
      sections.set(section, records);
    }
    return records;
  };
  // Each kind lists a section once: its records become that section's, in lists of their length.
  const insnsOf = <R>(what: string, section: string, records: readonly R[], offset: (record: R) => number) => {
    const insns = new Array<number>(records.length);
    for (let i = 0; i < records.length; i++) insns[i] = recordInsn(what, section, offset(records[i] as R));
    return insns;
  };
  for (const [section, records] of ext.funcInfo) {
    const insns = insnsOf('func info', section, records, (r) => r.insnOffset);
    of(section).func = new InsnRecords(
      insns,
      records.map((r) => r.typeId),
    );
  }
  if (raw !== undefined) {
    // Records named by their offset, their strings left undecoded.
    for (const [section, records] of raw.bySection) {
      const insns = insnsOf('line info', section, records, (r) => raw.insnOffset(r));
      of(section).line = new InsnRecords(insns, records);
    }
  } else {
    for (const [section, records] of ext.lineInfo) {
      const insns = insnsOf('line info', section, records, (r) => r.insnOffset);
      of(section).line = new InsnRecords(
        insns,
        records.map((r) => decoded.push(r) - 1),
      );
    }
  }
  let order = 0;
  for (const [section, relos] of ext.coreRelos) {
    const insns = insnsOf('CO-RE', section, relos, (relo) => relo.insnOffset);
    of(section).core = new InsnRecords(
      insns,
      relos.map((relo, i) => ({ section, sectionInsn: insns[i] as number, order: order++, relo })),
    );
  }
  return sections;
}

/** `bpf_func_info` of a program, read from its instructions. */
export function funcInfoOf(instructions: readonly ProgramInstruction[]): ProgramFuncInfo[] {
  const out: ProgramFuncInfo[] = [];
  instructions.forEach((insn, i) => {
    if (insn.func !== undefined) out.push({ insn: i, typeId: insn.func });
  });
  return out;
}

/** `bpf_line_info` of a program, read from its instructions. */
export function lineInfoOf(instructions: readonly ProgramInstruction[]): ProgramLineInfo[] {
  const out: ProgramLineInfo[] = [];
  instructions.forEach((insn, i) => {
    if (insn.line !== undefined) out.push({ insn: i, ...insn.line });
  });
  return out;
}

/**
 * Refuses a program whose subprogram lacks func or line info its entry point has, as
 * libbpf does at load ("missing .BTF.ext function info"): the kernel needs one func record
 * per function, and the records would not describe the program.
 * @throws {@link RelocError} `bad-ext` naming the subprogram.
 */
export function requireExtInfo(plan: ProgramPlan, object?: string): void {
  const missing = plan.missingExtInfo;
  if (missing === undefined) return;
  throw new RelocError(
    'bad-ext',
    `subprogram '${missing.subprogram}' has no ${missing.kind} info in .BTF.ext while the program has (a function written in assembly?); compile every function with -g`,
    {
      ...(object === undefined ? {} : { object }),
      program: plan.name,
      section: plan.section,
      symbol: missing.subprogram,
    },
  );
}

/** A program's func or line info records, encoded for BPF_PROG_LOAD. */
export interface EncodedRecords {
  /** The records, end to end, in their own buffer. */
  readonly bytes: Uint8Array;
  /** How many there are. */
  readonly count: number;
}

/**
 * A program's `bpf_func_info` records as the kernel wants them (8 bytes each, host order),
 * written straight from its instructions (the records of {@link funcInfoOf}).
 */
export function encodeFuncInfo(instructions: readonly ProgramInstruction[], littleEndian: boolean): EncodedRecords {
  let count = 0;
  for (const insn of instructions) if (insn.func !== undefined) count++;
  const bytes = new Uint8Array(new ArrayBuffer(count * 8));
  const view = new DataView(bytes.buffer);
  let at = 0;
  for (let i = 0; i < instructions.length; i++) {
    const func = (instructions[i] as ProgramInstruction).func;
    if (func === undefined) continue;
    view.setUint32(at, i, littleEndian);
    view.setUint32(at + 4, func, littleEndian);
    at += 8;
  }
  return { bytes, count };
}

/**
 * A program's `bpf_line_info` records as the kernel wants them (16 bytes each, host order),
 * written straight from its instructions (the records of {@link lineInfoOf}).
 */
export function encodeLineInfo(instructions: readonly ProgramInstruction[], littleEndian: boolean): EncodedRecords {
  let count = 0;
  for (const insn of instructions) if (insn.line !== undefined) count++;
  const bytes = new Uint8Array(new ArrayBuffer(count * 16));
  const view = new DataView(bytes.buffer);
  let at = 0;
  for (let i = 0; i < instructions.length; i++) {
    const line = (instructions[i] as ProgramInstruction).line;
    if (line === undefined) continue;
    writeLineInfo(view, at, i, line, littleEndian);
    at += 16;
  }
  return { bytes, count };
}

/** The source line nearest at or before instruction `insn`, for explaining verifier errors. */
export function sourceLineAt(instructions: readonly ProgramInstruction[], insn: number): ProgramLineInfo | undefined {
  for (let i = Math.min(insn, instructions.length - 1); i >= 0; i--) {
    const line = (instructions[i] as ProgramInstruction).line;
    if (line !== undefined) return { insn: i, ...line };
  }
  return undefined;
}
