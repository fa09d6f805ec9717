import { SectionType } from './constants.js';
import { type ElfHeader, readHeader } from './header.js';
import type { ElfReader } from './reader.js';
import { describeRelocationSection, type RelocationSection } from './relocations.js';
import { readSectionHeaders, type Section, sectionNameTableIndex } from './sections.js';
import type { ElfSource } from './source.js';
import { StringTable } from './strings.js';
import { SymbolTableView } from './symbol-table-view.js';
import { type ElfSymbol, readSymbols } from './symbols.js';

/** Lookups by section name answered by a scan of the sections before a map of the names is built. */
const SCANNED_LOOKUPS = 16;

/** Options for {@link parseElf}. */
export interface ParseElfOptions {
  /** A name for the object (e.g. its file name), carried by every error. */
  readonly name?: string;
}

/**
 * A parsed ELF64 file. Opening decodes only the header; sections, symbols and relocations
 * are decoded on first use and cached. Section data aliases the input bytes (or, for a file
 * read by position, the bytes its source returned), which must not change while the file
 * is in use.
 */
export class ElfFile {
  /** The decoded file header. */
  readonly header: ElfHeader;
  /** The name given at parse time, if any. */
  readonly name: string | undefined;
  private readonly reader: ElfReader;
  private sectionList: readonly Section[] | undefined;
  private sectionsByName: Map<string, Section> | undefined;
  /** Lookups by name answered by a scan, up to {@link SCANNED_LOOKUPS}. */
  private nameLookups = 0;
  private symbolList: readonly ElfSymbol[] | undefined;
  private dynamicSymbolList: readonly ElfSymbol[] | undefined;
  private views: { symbols?: SymbolTableView | undefined; dynamic?: SymbolTableView | undefined } = {};
  private relocationList: readonly RelocationSection[] | undefined;
  private readonly stringTables = new Map<number, StringTable>();

  /** @internal use {@link parseElf} or {@link parseElfFrom} */
  constructor(input: Uint8Array | ElfSource, options: ParseElfOptions = {}) {
    this.name = options.name;
    const { header, reader } = readHeader(input, options.name);
    this.header = header;
    this.reader = reader;
  }

  /** True when the file is little-endian. */
  get littleEndian(): boolean {
    return this.reader.littleEndian;
  }

  /** Every section, in header-table order (index 0 is the null section). */
  get sections(): readonly Section[] {
    this.sectionList ??= this.readSections();
    return this.sectionList;
  }

  /**
   * The section at `index`.
   * @throws {@link ElfError} `bad-index` when there is no such section.
   */
  section(index: number): Section {
    const section = this.sections[index];
    if (section === undefined) {
      this.reader.fail('bad-index', 'no section has this index', {
        section: index,
        expected: `< ${this.sections.length}`,
        actual: index,
      });
    }
    return section;
  }

  /** The first section called `name`, if any. */
  sectionByName(name: string): Section | undefined {
    // Opening an object asks for about a dozen names: comparing them with a few dozen
    // section names costs less than hashing every name into a map, built only past that.
    if (this.sectionsByName === undefined && this.nameLookups < SCANNED_LOOKUPS) {
      this.nameLookups++;
      for (const section of this.sections) if (section.name === name) return section;
      return undefined;
    }
    if (this.sectionsByName === undefined) {
      this.sectionsByName = new Map();
      for (const section of this.sections) {
        if (!this.sectionsByName.has(section.name)) this.sectionsByName.set(section.name, section);
      }
    }
    return this.sectionsByName.get(name);
  }

  /** The string table in section `index`, cached. */
  stringTable(index: number): StringTable {
    let table = this.stringTables.get(index);
    if (table === undefined) {
      const section = this.section(index);
      if (section.type !== SectionType.STRTAB) {
        this.reader.fail('bad-link', 'section is not a string table', {
          section: index,
          sectionName: section.name,
          expected: 'SHT_STRTAB',
          actual: section.type,
        });
      }
      table = new StringTable(this.reader, section);
      this.stringTables.set(index, table);
    }
    return table;
  }

  /** The `SHT_SYMTAB` section, if the file has one. */
  get symbolTableSection(): Section | undefined {
    const tables = this.sections.filter((s) => s.type === SectionType.SYMTAB);
    if (tables.length > 1) {
      const second = tables[1] as Section;
      this.reader.fail('duplicate-symtab', 'the file has more than one symbol table', {
        section: second.index,
        sectionName: second.name,
        expected: 1,
        actual: tables.length,
      });
    }
    return tables[0];
  }

  /** The `SHT_DYNSYM` section, if the file has one. */
  get dynamicSymbolTableSection(): Section | undefined {
    return this.sections.find((s) => s.type === SectionType.DYNSYM);
  }

  /** Every symbol of the symbol table (index 0 is the null symbol); empty without one. */
  get symbols(): readonly ElfSymbol[] {
    if (this.symbolList === undefined) {
      const table = this.symbolTableSection;
      this.symbolList = table === undefined ? [] : readSymbols(this.reader, table, this.sections);
    }
    return this.symbolList;
  }

  /** Symbols of the dynamic symbol table (`SHT_DYNSYM`, what a stripped shared library keeps); empty without one. */
  get dynamicSymbols(): readonly ElfSymbol[] {
    if (this.dynamicSymbolList === undefined) {
      const table = this.dynamicSymbolTableSection;
      this.dynamicSymbolList = table === undefined ? [] : readSymbols(this.reader, table, this.sections);
    }
    return this.dynamicSymbolList;
  }

  /**
   * The symbol table (`dynamic`: the dynamic one) as a {@link SymbolTableView}, read in
   * place with no object per symbol, for scans over every symbol; undefined without one.
   * Same checks and errors as {@link symbols}.
   */
  symbolTableView(dynamic = false): SymbolTableView | undefined {
    const key = dynamic ? 'dynamic' : 'symbols';
    if (!(key in this.views)) {
      const table = dynamic ? this.dynamicSymbolTableSection : this.symbolTableSection;
      this.views[key] = table === undefined ? undefined : new SymbolTableView(this.reader, table, this.sections);
    }
    return this.views[key];
  }

  /**
   * The file offset of a function or object symbol's address, through the section holding
   * it (`st_value − sh_addr + sh_offset`): what a uprobe needs.
   * @throws {@link ElfError} `bad-index` for a symbol in no real section.
   */
  fileOffsetOf(symbol: ElfSymbol): number {
    const section = this.section(symbol.sectionIndex);
    return symbol.value - Number(section.address) + section.offset;
  }

  /**
   * The symbol at `index`.
   * @throws {@link ElfError} `bad-index` when there is no such symbol.
   */
  symbol(index: number): ElfSymbol {
    const symbol = this.symbols[index];
    if (symbol === undefined) {
      this.reader.fail('bad-index', 'no symbol has this index', {
        entry: index,
        expected: `< ${this.symbols.length}`,
        actual: index,
      });
    }
    return symbol;
  }

  /** Every `SHT_REL`/`SHT_RELA` section, with its links checked; entries decode lazily. */
  get relocationSections(): readonly RelocationSection[] {
    this.relocationList ??= this.sections
      .filter((s) => s.type === SectionType.REL || s.type === SectionType.RELA)
      .map((s) => describeRelocationSection(this.reader, s, this.sections, () => this.symbols.length));
    return this.relocationList;
  }

  /** The relocation section that applies to section `index`, if any. */
  relocationsFor(index: number): RelocationSection | undefined {
    return this.relocationSections.find((r) => r.targetIndex === index);
  }

  private readSections(): Section[] {
    const sections = readSectionHeaders(this.reader, this.header);
    const namesIndex = sectionNameTableIndex(this.header, sections);
    if (namesIndex === 0) return sections;
    const namesSection = sections[namesIndex];
    if (namesSection === undefined || namesSection.type !== SectionType.STRTAB) {
      this.reader.fail('bad-index', 'e_shstrndx does not name a string table', {
        field: 'e_shstrndx',
        offset: 62,
        expected: `a SHT_STRTAB section below ${sections.length}`,
        actual: namesIndex,
      });
    }
    const names = new StringTable(this.reader, namesSection);
    for (const section of sections) {
      if (section.nameOffset !== 0) section.name = names.at(section.nameOffset, 'sh_name of section', section.index);
    }
    return sections;
  }
}

/**
 * Opens an ELF64 file held in memory. Only the header is decoded now.
 * @throws {@link ElfError} for anything that is not a well-formed ELF64 header.
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { parseElf } from '@bpfkit/elf';
 *
 * const elf = parseElf(new Uint8Array(readFileSync('probe.bpf.o')), { name: 'probe.bpf.o' });
 * const maps = elf.sectionByName('.maps');
 * for (const r of elf.relocationsFor(maps!.index)?.entries ?? []) console.log(r.offset, elf.symbol(r.symbol).name);
 * ```
 */
export function parseElf(bytes: Uint8Array, options: ParseElfOptions = {}): ElfFile {
  return new ElfFile(bytes, options);
}

/**
 * Opens an ELF64 file read by position from `source` (a file descriptor, say), which is
 * asked only for what is decoded: the header now, the section header table and each
 * section's bytes on first use. Same checks and errors as {@link parseElf}, extents checked
 * against `source.size`.
 * @throws {@link ElfError} for anything that is not a well-formed ELF64 header.
 */
export function parseElfFrom(source: ElfSource, options: ParseElfOptions = {}): ElfFile {
  return new ElfFile(source, options);
}
