import type { BtfExt, LineInfo } from '@bpfkit/btf';
import type { LinkedPiece } from './link.js';

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

/**
 * Func and line info of every linked piece, moved to its place in the final program. When a
 * piece has no func info the program gets none (the kernel needs one record per function).
 */
export function moveExtInfo(
  ext: BtfExt | undefined,
  pieces: readonly LinkedPiece[],
): { funcInfo: ProgramFuncInfo[]; lineInfo: ProgramLineInfo[] } {
  if (ext === undefined) return { funcInfo: [], lineInfo: [] };
  const funcInfo: ProgramFuncInfo[] = [];
  const lineInfo: ProgramLineInfo[] = [];
  let complete = true;
  for (const { function: fn, base } of pieces) {
    const section = fn.section.name;
    const start = fn.start * 8;
    const end = fn.end * 8;
    const record = ext.funcInfo.get(section)?.find((f) => f.insnOffset === start);
    if (record === undefined) complete = false;
    else funcInfo.push({ insn: base, typeId: record.typeId });
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
  }
  return { funcInfo: complete ? funcInfo : [], lineInfo: complete ? lineInfo : [] };
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
