import { RecordSize, SectionIndex } from './constants.js';
import type { ElfReader, FileRegion } from './reader.js';
import type { Section } from './sections.js';
import type { StringTable } from './strings.js';
import { openSymbolTable } from './symbols.js';

const twoTo32 = 2 ** 32;

/**
 * A symbol table read in place, for scans over thousands of symbols (glob matching in a
 * shared library): each field of entry `i` is read from the table's bytes when asked for,
 * with no object or array per symbol. Names stay undecoded: {@link nameOffset} points into
 * {@link names}. The table's entry size, extent and string table link are checked when the
 * view is made, as the object reader checks them.
 */
export class SymbolTableView {
  /** How many symbols the table holds (index 0 is the null symbol). */
  readonly count: number;
  /** The linked string table. */
  readonly names: StringTable;
  private readonly data: DataView;
  private readonly littleEndian: boolean;
  private readonly records: FileRegion;
  private readonly extendedSection: (index: number) => number;
  private readonly context: { section: number; sectionName: string };

  /** @internal made by {@link ElfFile.symbolTableView} */
  constructor(reader: ElfReader, table: Section, sections: readonly Section[]) {
    const { records, strings, count, sectionOf } = openSymbolTable(reader, table, sections);
    const bytes = records.view.bytes;
    this.count = count;
    this.names = strings;
    this.data = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.littleEndian = reader.littleEndian;
    this.records = records;
    this.extendedSection = sectionOf;
    this.context = { section: table.index, sectionName: table.name };
  }

  /** `st_name` of symbol `index`: where its name starts in {@link names}. */
  nameOffset(index: number): number {
    return this.data.getUint32(index * RecordSize.SYMBOL, this.littleEndian);
  }

  /** `st_info` of symbol `index`: binding in the high nibble, type in the low one. */
  info(index: number): number {
    return this.data.getUint8(index * RecordSize.SYMBOL + 4);
  }

  /**
   * The section symbol `index` is defined in, `SHN_XINDEX` resolved through
   * `SHT_SYMTAB_SHNDX` (reserved indexes kept).
   * @throws {@link ElfError} `bad-index` for `SHN_XINDEX` without an extended index.
   */
  sectionIndex(index: number): number {
    const raw = this.data.getUint16(index * RecordSize.SYMBOL + 6, this.littleEndian);
    return raw === SectionIndex.XINDEX ? this.extendedSection(index) : raw;
  }

  /**
   * `st_value` of symbol `index`.
   * @throws {@link ElfError} `too-large` when it is 2^53 or more.
   */
  value(index: number): number {
    const at = index * RecordSize.SYMBOL + 8;
    const le = this.littleEndian;
    const high = this.data.getUint32(le ? at + 4 : at, le);
    if (high >= 2 ** 21) return this.records.u64(at, 'st_value', { ...this.context, entry: index });
    return high * twoTo32 + this.data.getUint32(le ? at : at + 4, le);
  }
}
