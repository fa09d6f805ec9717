import { RecordSize, SectionIndex, SectionType } from './constants.js';
import type { ElfHeader } from './header.js';
import type { ElfReader } from './reader.js';

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

  /** True for `SHT_NOBITS` (e.g. `.bss`): a size in memory but no bytes in the file. */
  get isNoBits(): boolean {
    return this.type === SectionType.NOBITS;
  }

  /**
   * The section's bytes, aliasing the input buffer (no copy); empty for `SHT_NOBITS`.
   * @throws {@link ElfError} `out-of-bounds` when `sh_offset + sh_size` passes the end of the file.
   */
  get data(): Uint8Array {
    if (this.isNoBits) return this.reader.view.bytesAt(0, 0);
    this.reader.extent(this.offset, this.size, 'sh_offset and sh_size', {
      section: this.index,
      sectionName: this.name,
      offset: this.headerOffset + 24,
    });
    return this.reader.view.bytesAt(this.offset, this.size);
  }
}

/** Decodes the whole section header table (names are filled in by the caller). */
export function readSectionHeaders(reader: ElfReader, header: ElfHeader): Section[] {
  const tableOffset = header.sectionHeaderOffset;
  if (tableOffset === 0) return [];
  const view = reader.view;
  let count = header.rawSectionCount;
  if (count === 0) {
    view.need(tableOffset, RecordSize.SECTION_HEADER, 'section header 0');
    count = reader.u64(tableOffset + 32, 'sh_size of section 0 (extended section count)', { section: 0 });
  }
  const tableSize = count * RecordSize.SECTION_HEADER;
  reader.extent(tableOffset, tableSize, 'e_shoff and the section count', {
    field: 'e_shoff',
    offset: 40,
  });
  const sections: Section[] = new Array(count);
  for (let index = 0; index < count; index++) {
    const at = tableOffset + index * RecordSize.SECTION_HEADER;
    const context = { section: index };
    sections[index] = new Section(
      reader,
      index,
      at,
      view.u32(at),
      view.u32(at + 4),
      reader.u64(at + 8, 'sh_flags', context),
      view.u64(at + 16),
      reader.u64(at + 24, 'sh_offset', context),
      reader.u64(at + 32, 'sh_size', context),
      view.u32(at + 40),
      view.u32(at + 44),
      reader.u64(at + 48, 'sh_addralign', context),
      reader.u64(at + 56, 'sh_entsize', context),
    );
  }
  return sections;
}

/** The index of the section-name string table, following `SHN_XINDEX` to section 0. */
export function sectionNameTableIndex(header: ElfHeader, sections: readonly Section[]): number {
  if (header.rawSectionNameIndex !== SectionIndex.XINDEX) return header.rawSectionNameIndex;
  return sections[0]?.link ?? SectionIndex.UNDEF;
}
