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
