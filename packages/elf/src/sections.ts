import { RecordSize, SectionIndex, SectionType } from './constants.js';
import type { ElfHeader } from './header.js';
import { type ElfReader, FileRegion } from './reader.js';

/** One section header (`Elf64_Shdr`) with its resolved name and lazily checked data. */
export class Section {
  /** @internal */
  constructor(
    private readonly reader: ElfReader,
    /** Position in the section header table. */
    readonly index: number,
    /** Byte offset of this header in the file. */
    readonly headerOffset: number,
    /** `sh_name`: offset of the name in the section-name string table. */
    readonly nameOffset: number,
    /** `sh_type` (see {@link SectionType}). */
    readonly type: number,
    /** `sh_flags` (see {@link SectionFlag}). */
    readonly flags: number,
    /** `sh_addr`. */
    readonly address: bigint,
    /** `sh_offset`: where the data starts in the file. */
    readonly offset: number,
    /** `sh_size`: bytes of data (for `SHT_NOBITS`, the size in memory). */
    readonly size: number,
    /** `sh_link`. */
    readonly link: number,
    /** `sh_info`. */
    readonly info: number,
    /** `sh_addralign`. */
    readonly addressAlign: number,
    /** `sh_entsize`: size of one entry for tables, else 0. */
    readonly entrySize: number,
  ) {}

  /** The resolved name, set once the section-name table is read. */
  name = '';

  private bytes: Uint8Array | undefined;

  /** True for `SHT_NOBITS` (e.g. `.bss`): a size in memory but no bytes in the file. */
  get isNoBits(): boolean {
    return this.type === SectionType.NOBITS;
  }

  /**
   * The section's bytes: aliasing the input buffer (no copy) for a file held whole, read on
   * first use (then kept) for a file read by position; empty for `SHT_NOBITS`.
   * @throws {@link ElfError} `out-of-bounds` when `sh_offset + sh_size` passes the end of the file.
   */
  get data(): Uint8Array {
    if (this.bytes === undefined) {
      if (this.isNoBits) {
        this.bytes = new Uint8Array(0);
      } else {
        this.checkExtent();
        this.bytes = this.reader.bytes(this.offset, this.size, `section ${this.index}`);
      }
    }
    return this.bytes;
  }

  /**
   * The section's bytes as a region read with the file's byte order, for tables decoded
   * entry by entry.
   * @internal
   */
  region(): FileRegion {
    return new FileRegion(this.reader, this.offset, this.data);
  }

  /** Throws `out-of-bounds` unless `sh_offset + sh_size` lies inside the file. */
  private checkExtent(): void {
    this.reader.extent(this.offset, this.size, 'sh_offset and sh_size', {
      section: this.index,
      sectionName: this.name,
      offset: this.headerOffset + 24,
    });
  }
}

/** Decodes the whole section header table (names are filled in by the caller). */
export function readSectionHeaders(reader: ElfReader, header: ElfHeader): Section[] {
  const tableOffset = header.sectionHeaderOffset;
  if (tableOffset === 0) return [];
  let count = header.rawSectionCount;
  if (count === 0) {
    reader.need(tableOffset, RecordSize.SECTION_HEADER, 'section header 0');
    const first = reader.region(tableOffset, RecordSize.SECTION_HEADER, 'section header 0');
    count = first.u64(32, 'sh_size of section 0 (extended section count)', { section: 0 });
  }
  const tableSize = count * RecordSize.SECTION_HEADER;
  reader.extent(tableOffset, tableSize, 'e_shoff and the section count', {
    field: 'e_shoff',
    offset: 40,
  });
  const table = reader.region(tableOffset, tableSize, 'the section header table');
  const view = table.view;
  const sections: Section[] = new Array(count);
  // A u64 field as a number; the error context is built only when it does not fit.
  const u64 = (at: number, field: string, index: number): number =>
    view.u64Number(at) ?? table.u64(at, field, { section: index });
  for (let index = 0; index < count; index++) {
    const at = index * RecordSize.SECTION_HEADER;
    sections[index] = new Section(
      reader,
      index,
      tableOffset + at,
      view.u32(at),
      view.u32(at + 4),
      u64(at + 8, 'sh_flags', index),
      view.u64(at + 16),
      u64(at + 24, 'sh_offset', index),
      u64(at + 32, 'sh_size', index),
      view.u32(at + 40),
      view.u32(at + 44),
      u64(at + 48, 'sh_addralign', index),
      u64(at + 56, 'sh_entsize', index),
    );
  }
  return sections;
}

/** The index of the section-name string table, following `SHN_XINDEX` to section 0. */
export function sectionNameTableIndex(header: ElfHeader, sections: readonly Section[]): number {
  if (header.rawSectionNameIndex !== SectionIndex.XINDEX) return header.rawSectionNameIndex;
  return sections[0]?.link ?? SectionIndex.UNDEF;
}
