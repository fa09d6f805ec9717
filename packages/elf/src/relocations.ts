import { RecordSize, SectionType } from './constants.js';
import type { ElfReader, FileRegion } from './reader.js';
import type { Section } from './sections.js';
import { checkTable } from './symbols.js';

/** One relocation entry (`Elf64_Rel` or `Elf64_Rela`). */
export interface Relocation {
  /** Position in its relocation section. */
  readonly index: number;
  /** `r_offset`: byte offset inside the target section. */
  readonly offset: number;
  /** `ELF64_R_TYPE(r_info)` (see {@link BpfRelocationType}). */
  readonly type: number;
  /** `ELF64_R_SYM(r_info)`: index into the linked symbol table. */
  readonly symbol: number;
  /** `r_addend` for `SHT_RELA`; 0 for `SHT_REL`. */
  readonly addend: number;
}

/**
 * A `SHT_REL` or `SHT_RELA` section with the section it patches and the symbol table it
 * refers to; entries decode on first access and are cached.
 */
export class RelocationSection {
  private decoded: readonly Relocation[] | undefined;

  /** @internal */
  constructor(
    private readonly reader: ElfReader,
    /** The relocation section itself. */
    readonly section: Section,
    /** `sh_info`: index of the section the relocations apply to. */
    readonly targetIndex: number,
    /** `sh_link`: index of the symbol table the entries refer to. */
    readonly symbolTableIndex: number,
    private readonly symbolCount: () => number,
  ) {}

  /** True for `SHT_RELA` (explicit addends). */
  get hasAddends(): boolean {
    return this.section.type === SectionType.RELA;
  }

  /**
   * The decoded entries.
   * @throws {@link ElfError} `bad-index` when an entry names a symbol past the end of the table.
   */
  get entries(): readonly Relocation[] {
    this.decoded ??= this.decode();
    return this.decoded;
  }

  private decode(): Relocation[] {
    const { reader, section } = this;
    const entrySize = this.hasAddends ? RecordSize.RELA : RecordSize.REL;
    checkTable(reader, section, entrySize, 'relocation section');
    const records = section.region();
    const view = records.view;
    const le = view.littleEndian;
    const symbols = this.symbolCount();
    const count = section.size / entrySize;
    const entries: Relocation[] = new Array(count);
    for (let index = 0; index < count; index++) {
      const at = index * entrySize;
      // r_info: the symbol in the upper 32 bits, the type in the lower. Error context is
      // built only when a check fails: this loop runs for every entry.
      const symbol = view.u32(le ? at + 12 : at + 8);
      if (symbol >= symbols) {
        reader.fail('bad-index', 'relocation refers to a symbol past the end of the symbol table', {
          ...this.where(index),
          field: 'r_info',
          offset: section.offset + at + 8,
          expected: `< ${symbols}`,
          actual: symbol,
        });
      }
      entries[index] = {
        index,
        offset: view.u64Number(at) ?? records.u64(at, 'r_offset', this.where(index)),
        type: view.u32(le ? at + 8 : at + 12),
        symbol,
        addend: this.hasAddends ? readAddend(reader, records, at + 16, this.where(index)) : 0,
      };
    }
    return entries;
  }

  /** Error context naming entry `index`. */
  private where(index: number): { section: number; sectionName: string; entry: number } {
    return { section: this.section.index, sectionName: this.section.name, entry: index };
  }
}

function readAddend(
  reader: ElfReader,
  records: FileRegion,
  at: number,
  context: { section: number; entry: number },
): number {
  const addend = records.view.i64(at);
  if (addend > BigInt(Number.MAX_SAFE_INTEGER) || addend < BigInt(Number.MIN_SAFE_INTEGER)) {
    const offset = records.offset + at;
    reader.fail('too-large', 'r_addend does not fit in 2^53', { ...context, field: 'r_addend', offset });
  }
  return Number(addend);
}

/** Builds a {@link RelocationSection} after checking its `sh_link` and `sh_info`. */
export function describeRelocationSection(
  reader: ElfReader,
  section: Section,
  sections: readonly Section[],
  symbolCount: () => number,
): RelocationSection {
  const context = { section: section.index, sectionName: section.name };
  const symbolTable = sections[section.link];
  if (symbolTable === undefined || symbolTable.type !== SectionType.SYMTAB) {
    reader.fail('bad-link', 'relocation section sh_link does not name the symbol table', {
      ...context,
      field: 'sh_link',
      offset: section.headerOffset + 40,
      expected: 'an SHT_SYMTAB section',
      actual: symbolTable === undefined ? `index ${section.link} of ${sections.length}` : `type ${symbolTable.type}`,
    });
  }
  if (section.info === 0 || section.info >= sections.length) {
    reader.fail('bad-link', 'relocation section sh_info does not name a section', {
      ...context,
      field: 'sh_info',
      offset: section.headerOffset + 44,
      expected: `1..${sections.length - 1}`,
      actual: section.info,
    });
  }
  return new RelocationSection(reader, section, section.info, section.link, symbolCount);
}
