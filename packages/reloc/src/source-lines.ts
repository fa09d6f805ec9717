import type { LineInfo, LineRecords } from '@bpfkit/btf';
import type { SourceLine } from './program-instruction.js';

/**
 * The line records of an object's `.BTF.ext`, named by an id: the record's offset in the
 * section's bytes when `parseBtfExt` made the `BtfExt` (strings decoded only when a line
 * is asked for), else its place in the records `ext.lineInfo` holds.
 */
export class SourceLines {
  constructor(
    /** The undecoded records, when the ext has them. */
    private readonly records: LineRecords | undefined,
    /** The decoded records otherwise. */
    private readonly decoded: readonly LineInfo[] = [],
  ) {}

  /** Writes record `id` as the kernel's `bpf_line_info` (16 bytes) for instruction `insn`, at `at` of `view`. */
  write(view: DataView, at: number, insn: number, id: number, littleEndian: boolean): void {
    const records = this.records;
    if (records === undefined) {
      writeLineInfo(view, at, insn, this.decoded[id] as LineInfo, littleEndian);
      return;
    }
    writeLineRecord(
      view,
      at,
      insn,
      records.fileNameOffset(id),
      records.sourceOffset(id),
      records.lineColumn(id),
      littleEndian,
    );
  }

  /** The source line of record `id`, strings decoded. */
  sourceLine(id: number): SourceLine {
    const info = this.records === undefined ? (this.decoded[id] as LineInfo) : this.records.info(id);
    return {
      fileName: info.fileName,
      fileNameOffset: info.fileNameOffset,
      source: info.source,
      sourceOffset: info.sourceOffset,
      line: info.line,
      column: info.column,
    };
  }
}

/** Writes a `bpf_line_info` (16 bytes) for instruction `insn` at `at` of `view`, from its fields. */
function writeLineRecord(
  view: DataView,
  at: number,
  insn: number,
  fileNameOffset: number,
  sourceOffset: number,
  lineColumn: number,
  littleEndian: boolean,
): void {
  view.setUint32(at, insn, littleEndian);
  view.setUint32(at + 4, fileNameOffset, littleEndian);
  view.setUint32(at + 8, sourceOffset, littleEndian);
  view.setUint32(at + 12, lineColumn, littleEndian);
}

/** Writes a `bpf_line_info` (16 bytes) for instruction `insn` at `at` of `view`, from a decoded line. */
export function writeLineInfo(
  view: DataView,
  at: number,
  insn: number,
  line: Pick<SourceLine, 'fileNameOffset' | 'sourceOffset' | 'line' | 'column'>,
  littleEndian: boolean,
): void {
  // line_col: the line in the upper 22 bits, the column in the lower 10.
  const lineColumn = ((line.line << 10) | (line.column & 0x3ff)) >>> 0;
  writeLineRecord(view, at, insn, line.fileNameOffset, line.sourceOffset, lineColumn, littleEndian);
}
