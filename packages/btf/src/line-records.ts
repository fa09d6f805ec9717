import type { LineInfo } from './ext.js';
import type { BtfStrings } from './strings.js';

/**
 * The `bpf_line_info` records of a `.BTF.ext`, kept as its bytes, as libbpf keeps them: a
 * record is named by its byte offset in the section, its fields are read when asked for,
 * and its strings decoded only for {@link info}.
 * @internal Shared with `@bpfkit/reloc`, which reads records without decoding their strings.
 */
export class LineRecords {
  /** Every record decoded, per section, once asked for. */
  private decodedInfo: ReadonlyMap<string, readonly LineInfo[]> | undefined;

  constructor(
    private readonly view: DataView,
    private readonly littleEndian: boolean,
    private readonly strings: BtfStrings,
    /** Each section's records, as byte offsets, in `.BTF.ext` order. */
    readonly bySection: ReadonlyMap<string, readonly number[]>,
  ) {}

  /** `insn_off`: byte offset of the record's instruction in its section. */
  insnOffset(record: number): number {
    return this.view.getUint32(record, this.littleEndian);
  }

  /** `file_name_off`. */
  fileNameOffset(record: number): number {
    return this.view.getUint32(record + 4, this.littleEndian);
  }

  /** `line_off`. */
  sourceOffset(record: number): number {
    return this.view.getUint32(record + 8, this.littleEndian);
  }

  /** `line_col`: line in the upper 22 bits, column in the lower 10. */
  lineColumn(record: number): number {
    return this.view.getUint32(record + 12, this.littleEndian);
  }

  /** Every section's records decoded (what `BtfExt.lineInfo` holds), made on first call. */
  decoded(): ReadonlyMap<string, readonly LineInfo[]> {
    this.decodedInfo ??= new Map(
      [...this.bySection].map(([section, list]) => [section, list.map((r) => this.info(r))]),
    );
    return this.decodedInfo;
  }

  /** The record decoded, strings included (checked to exist when the section was parsed). */
  info(record: number): LineInfo {
    const fileNameOffset = this.fileNameOffset(record);
    const sourceOffset = this.sourceOffset(record);
    const lineColumn = this.lineColumn(record);
    return {
      insnOffset: this.insnOffset(record),
      fileName: this.strings.tryAt(fileNameOffset) as string,
      fileNameOffset,
      source: this.strings.tryAt(sourceOffset) as string,
      sourceOffset,
      line: lineColumn >>> 10,
      column: lineColumn & 0x3ff,
    };
  }
}

const recordsOfExt = Symbol('line records');

/** Keeps `records` on `ext` (not enumerable: a copy of `ext` does not carry them). */
export function keepLineRecords(ext: object, records: LineRecords): void {
  Object.defineProperty(ext, recordsOfExt, { value: records });
}

/**
 * The undecoded line records behind `ext.lineInfo` when `parseBtfExt` made `ext`;
 * `undefined` for a `BtfExt` built or copied some other way (then read `ext.lineInfo`).
 * @internal Shared with `@bpfkit/reloc`.
 */
export function lineRecordsOf(ext: object): LineRecords | undefined {
  return (ext as { [recordsOfExt]?: LineRecords })[recordsOfExt];
}
