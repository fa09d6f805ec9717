import { RecordSize, SectionIndex, SectionType } from './constants.js';
import type { ElfReader, FileRegion } from './reader.js';
import type { Section } from './sections.js';
import { StringTable } from './strings.js';

/** One entry of a symbol table (`Elf64_Sym`). */
export interface ElfSymbol {
  /** Position in the symbol table (relocations refer to it). */
  readonly index: number;
  /** The name from the linked string table ("" when `st_name` is 0). */
  readonly name: string;
  /** `st_value`: for objects, the offset inside their section. */
  readonly value: number;
  /** `st_size`. */
  readonly size: number;
  /** Binding, high nibble of `st_info` (see {@link SymbolBinding}). */
  readonly bind: number;
  /** Type, low nibble of `st_info` (see {@link SymbolType}). */
  readonly type: number;
  /** Visibility, low two bits of `st_other` (see {@link SymbolVisibility}). */
  readonly visibility: number;
  /** `st_other` as stored. */
  readonly other: number;
  /**
   * The section the symbol is defined in. `SHN_XINDEX` is already resolved through
   * `SHT_SYMTAB_SHNDX`; reserved values (`SHN_UNDEF`, `SHN_ABS`, `SHN_COMMON`) stay as they are.
   */
  readonly sectionIndex: number;
}

/** True for `SHN_UNDEF` and the reserved range (`SHN_ABS`, `SHN_COMMON`, …): no real section. */
export function isReservedSectionIndex(index: number): boolean {
  return index === SectionIndex.UNDEF || (index >= SectionIndex.LORESERVE && index <= SectionIndex.XINDEX);
}

/** Decodes every symbol of `table`, resolving names and extended section indexes. */
export function readSymbols(reader: ElfReader, table: Section, sections: readonly Section[]): ElfSymbol[] {
  const { strings, count, sectionOf, records } = openSymbolTable(reader, table, sections);
  const context = { section: table.index, sectionName: table.name };
  const view = records.view;
  const symbols: ElfSymbol[] = new Array(count);
  for (let index = 0; index < count; index++) {
    const at = index * RecordSize.SYMBOL;
    const info = view.u8(at + 4);
    const other = view.u8(at + 5);
    const sectionIndex = sectionOf(index);
    const nameOffset = view.u32(at);
    // Error context is built only when a check fails: this loop runs for every symbol.
    symbols[index] = {
      index,
      name: nameOffset === 0 ? '' : strings.at(nameOffset, 'st_name of symbol', index),
      value: view.u64Number(at + 8) ?? records.u64(at + 8, 'st_value', { ...context, entry: index }),
      size: view.u64Number(at + 16) ?? records.u64(at + 16, 'st_size', { ...context, entry: index }),
      bind: info >> 4,
      type: info & 0xf,
      visibility: other & 0x3,
      other,
      sectionIndex,
    };
  }
  return symbols;
}

/**
 * A symbol table checked and ready to read: its entries (`records`, entry `i` at
 * `i * 24`), its linked string table, its entry count, and each entry's section index with
 * `SHN_XINDEX` resolved through `SHT_SYMTAB_SHNDX`.
 * @internal shared by {@link readSymbols} and the column reader
 */
export function openSymbolTable(
  reader: ElfReader,
  table: Section,
  sections: readonly Section[],
): { records: FileRegion; strings: StringTable; count: number; sectionOf: (index: number) => number } {
  checkTable(reader, table, RecordSize.SYMBOL, 'symbol table');
  const strings = linkedStringTable(reader, table, sections);
  const extended = sections.find((s) => s.type === SectionType.SYMTAB_SHNDX && s.link === table.index);
  const extendedIndexes = extended === undefined ? undefined : readExtendedIndexes(reader, extended);
  const records = table.region();
  const view = records.view;
  const sectionOf = (index: number): number => {
    const at = index * RecordSize.SYMBOL + 6;
    const sectionIndex = view.u16(at);
    if (sectionIndex !== SectionIndex.XINDEX) return sectionIndex;
    if (extendedIndexes === undefined || index >= extendedIndexes.length) {
      reader.fail('bad-index', 'symbol uses SHN_XINDEX but no SHT_SYMTAB_SHNDX entry holds its section', {
        section: table.index,
        sectionName: table.name,
        entry: index,
        field: 'st_shndx',
        offset: table.offset + at,
      });
    }
    return extendedIndexes[index] as number;
  };
  return { records, strings, count: table.size / RecordSize.SYMBOL, sectionOf };
}

/** Checks a table section's entry size and extent before its entries are read. */
export function checkTable(reader: ElfReader, table: Section, entrySize: number, what: string): void {
  const context = { section: table.index, sectionName: table.name, offset: table.headerOffset + 56 };
  if (table.entrySize !== entrySize) {
    reader.fail('bad-entsize', `${what} has the wrong sh_entsize`, {
      ...context,
      field: 'sh_entsize',
      expected: entrySize,
      actual: table.entrySize,
    });
  }
  if (table.size % entrySize !== 0) {
    reader.fail('bad-entsize', `${what} size is not a whole number of entries`, {
      ...context,
      field: 'sh_size',
      expected: `a multiple of ${entrySize}`,
      actual: table.size,
    });
  }
  reader.extent(table.offset, table.size, 'sh_offset and sh_size', { ...context, offset: table.headerOffset + 24 });
}

/** The string table a symbol table names in `sh_link`, which must be `SHT_STRTAB`. */
function linkedStringTable(reader: ElfReader, table: Section, sections: readonly Section[]): StringTable {
  const linked = sections[table.link];
  if (linked === undefined || linked.type !== SectionType.STRTAB) {
    reader.fail('bad-link', 'symbol table sh_link does not name a string table', {
      section: table.index,
      sectionName: table.name,
      field: 'sh_link',
      offset: table.headerOffset + 40,
      expected: 'an SHT_STRTAB section',
      actual: linked === undefined ? `index ${table.link} of ${sections.length}` : `type ${linked.type}`,
    });
  }
  return new StringTable(reader, linked);
}

function readExtendedIndexes(reader: ElfReader, section: Section): Uint32Array {
  checkTable(reader, section, RecordSize.SYMTAB_SHNDX, 'extended section index table');
  const count = section.size / RecordSize.SYMTAB_SHNDX;
  const view = section.region().view;
  const indexes = new Uint32Array(count);
  for (let i = 0; i < count; i++) indexes[i] = view.u32(i * 4);
  return indexes;
}
