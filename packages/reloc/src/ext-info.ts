import type { BtfExt, LineInfo } from '@bpfkit/btf';
import { RelocError } from './errors.js';
import type { LinkedPiece } from './link.js';
import type { ProgramPlan } from './plan.js';

/** A `bpf_func_info` record of the final program. */
export interface ProgramFuncInfo {
  /** Instruction index in the final program. */
  readonly insn: number;
  /** FUNC type id in the object's BTF. */
  readonly typeId: number;
}

/** A `bpf_line_info` record of the final program: the object's record, placed by instruction index. */
export interface ProgramLineInfo extends Omit<LineInfo, 'insnOffset'> {
  /** Instruction index in the final program. */
  readonly insn: number;
}

/** Func and line info of a final program, or why one kind cannot be sent. */
export interface ProgramExtInfo {
  /** `bpf_func_info` records, at their final instruction offsets. */
  readonly funcInfo: ProgramFuncInfo[];
  /** `bpf_line_info` records, at their final instruction offsets. */
  readonly lineInfo: ProgramLineInfo[];
  /**
   * A subprogram without records of a kind its entry point has (e.g. a function written in
   * assembly): libbpf refuses to load such a program, and so does the loader.
   */
  readonly missing:
    | {
        /** Which records it lacks. */
        readonly kind: 'func' | 'line';
        /** The subprogram lacking them. */
        readonly subprogram: string;
      }
    | undefined;
}

/**
 * Func and line info of every linked piece, moved to its place in the final program, each
 * kind on its own as libbpf does: an entry point without records of a kind sends none of
 * that kind; a subprogram without them, when the entry point has them, is reported in
 * `missing`.
 */
export function moveExtInfo(ext: BtfExt | undefined, pieces: readonly LinkedPiece[]): ProgramExtInfo {
  const funcInfo: ProgramFuncInfo[] = [];
  const lineInfo: ProgramLineInfo[] = [];
  if (ext === undefined) return { funcInfo, lineInfo, missing: undefined };
  let missing: ProgramExtInfo['missing'];
  let withFunc = true;
  let withLine = true;
  for (const [index, { function: fn, base }] of pieces.entries()) {
    const section = fn.section.name;
    const start = fn.start * 8;
    const end = fn.end * 8;
    if (withFunc) {
      const before = funcInfo.length;
      for (const record of ext.funcInfo.get(section) ?? []) {
        if (record.insnOffset >= start && record.insnOffset < end)
          funcInfo.push({ insn: base + (record.insnOffset - start) / 8, typeId: record.typeId });
      }
      if (funcInfo.length === before) {
        withFunc = false;
        if (index > 0) missing ??= { kind: 'func', subprogram: fn.name };
      }
    }
    if (withLine) {
      const before = lineInfo.length;
      for (const line of ext.lineInfo.get(section) ?? []) {
        if (line.insnOffset < start || line.insnOffset >= end) continue;
        // Fields listed rather than spread: this runs for every line of every program.
        lineInfo.push({
          insn: base + (line.insnOffset - start) / 8,
          fileName: line.fileName,
          fileNameOffset: line.fileNameOffset,
          source: line.source,
          sourceOffset: line.sourceOffset,
          line: line.line,
          column: line.column,
        });
      }
      if (lineInfo.length === before) {
        withLine = false;
        if (index > 0) missing ??= { kind: 'line', subprogram: fn.name };
      }
    }
  }
  return { funcInfo: withFunc ? funcInfo : [], lineInfo: withLine ? lineInfo : [], missing };
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

/** `bpf_func_info` records as the kernel wants them (8 bytes each, host order). */
export function encodeFuncInfo(records: readonly ProgramFuncInfo[], littleEndian: boolean): Uint8Array {
  const bytes = new Uint8Array(new ArrayBuffer(records.length * 8));
  const view = new DataView(bytes.buffer);
  records.forEach((r, i) => {
    view.setUint32(i * 8, r.insn, littleEndian);
    view.setUint32(i * 8 + 4, r.typeId, littleEndian);
  });
  return bytes;
}

/** `bpf_line_info` records as the kernel wants them (16 bytes each, host order). */
export function encodeLineInfo(records: readonly ProgramLineInfo[], littleEndian: boolean): Uint8Array {
  const bytes = new Uint8Array(new ArrayBuffer(records.length * 16));
  const view = new DataView(bytes.buffer);
  records.forEach((r, i) => {
    view.setUint32(i * 16, r.insn, littleEndian);
    view.setUint32(i * 16 + 4, r.fileNameOffset, littleEndian);
    view.setUint32(i * 16 + 8, r.sourceOffset, littleEndian);
    view.setUint32(i * 16 + 12, ((r.line << 10) | (r.column & 0x3ff)) >>> 0, littleEndian);
  });
  return bytes;
}

/** The source line nearest at or before instruction `insn`, for explaining verifier errors. */
export function sourceLineAt(lines: readonly ProgramLineInfo[], insn: number): ProgramLineInfo | undefined {
  let best: ProgramLineInfo | undefined;
  for (const line of lines) if (line.insn <= insn && (best === undefined || line.insn >= best.insn)) best = line;
  return best;
}
