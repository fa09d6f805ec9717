import { readFixture, relBytes, StringTableWriter, symbolBytes, writeElf } from '@bpfkit/fixtures';
import { describe, expect, it } from 'vitest';
import {
  ElfError,
  type ElfErrorCode,
  type ElfFile,
  type ParseElfOptions,
  parseElfFrom,
  parseElf as parseWhole,
  SectionType,
} from '../src/index.js';
import { PositionedSource } from './positioned-source.js';

/** Runs `read` and returns the ElfError it throws, failing the test if it throws anything else. */
function elfErrorOf(read: () => unknown): ElfError {
  try {
    read();
  } catch (error) {
    if (ElfError.is(error)) return error;
    throw error;
  }
  throw new Error('expected an ElfError, but nothing was thrown');
}

function expectCode(read: () => unknown, code: ElfErrorCode): ElfError {
  const error = elfErrorOf(read);
  expect(error.code).toBe(code);
  return error;
}

/** Reads everything an ElfFile offers, so lazy errors surface. */
function readAll(elf: ElfFile): void {
  for (const section of elf.sections) void section.data;
  void elf.symbols;
  for (const relocations of elf.relocationSections) void relocations.entries;
}

function setU64(bytes: Uint8Array, offset: number, value: bigint, le = true): void {
  new DataView(bytes.buffer, bytes.byteOffset).setBigUint64(offset, value, le);
}

function setU16(bytes: Uint8Array, offset: number, value: number, le = true): void {
  new DataView(bytes.buffer, bytes.byteOffset).setUint16(offset, value, le);
}

/** Both ways a file is opened: every malformed input must give the same error either way. */
const openers: [string, (bytes: Uint8Array, options?: ParseElfOptions) => ElfFile][] = [
  ['held whole', parseWhole],
  ['read by position', (bytes, options) => parseElfFrom(new PositionedSource(bytes), options)],
];

describe.each(openers)('a file %s', (_way, parseElf) => {
  describe('the header', () => {
    it('rejects a file shorter than the identification, naming both sizes', () => {
      const error = expectCode(() => parseElf(new Uint8Array(10), { name: 'short.o' }), 'truncated');
      expect(error.context).toMatchObject({ object: 'short.o', offset: 0, actual: '10 bytes' });
      expect(error.message).toBe(
        "object 'short.o': at byte 0x0: the file is shorter than the 16-byte ELF identification (expected at least 16 bytes, got 10 bytes)",
      );
    });

    it('rejects bad magic and shows the bytes found', () => {
      const bytes = readFixture('map_in_map');
      bytes[1] = 0x58;
      const error = expectCode(() => parseElf(bytes), 'bad-magic');
      expect(error.context).toMatchObject({ field: 'e_ident[EI_MAG]', offset: 1, actual: '7f 58 4c 46' });
    });

    it('rejects ELF32 with a reason', () => {
      const bytes = readFixture('map_in_map');
      bytes[4] = 1;
      const error = expectCode(() => parseElf(bytes), 'unsupported-class');
      expect(error.message).toContain('ELF32 files are not supported');
      expect(error.context).toMatchObject({ offset: 4, expected: 2, actual: 1 });
    });

    it('rejects an unknown byte order', () => {
      const bytes = readFixture('map_in_map');
      bytes[5] = 3;
      expect(expectCode(() => parseElf(bytes), 'bad-byte-order').context).toMatchObject({ offset: 5, actual: 3 });
    });

    it('rejects an unknown identification version', () => {
      const bytes = readFixture('map_in_map');
      bytes[6] = 9;
      expectCode(() => parseElf(bytes), 'bad-version');
    });

    it('rejects a file cut inside the 64-byte header', () => {
      const error = expectCode(() => parseElf(readFixture('map_in_map').subarray(0, 40)), 'truncated');
      expect(error.context.offset).toBe(0);
    });

    it('rejects a section header entry size other than 64', () => {
      const bytes = readFixture('map_in_map');
      setU16(bytes, 58, 40);
      expect(expectCode(() => parseElf(bytes), 'bad-entsize').context).toMatchObject({
        field: 'e_shentsize',
        expected: 64,
        actual: 40,
      });
    });
  });

  describe('the section header table', () => {
    it('is decoded lazily: a table past the end fails on first use, not at open', () => {
      const bytes = readFixture('map_in_map');
      setU64(bytes, 40, BigInt(bytes.length));
      const elf = parseElf(bytes);
      const error = expectCode(() => elf.sections, 'out-of-bounds');
      expect(error.context.field).toBe('e_shoff');
    });

    it('refuses a section count that would allocate gigabytes, without allocating', () => {
      const { bytes, shoff } = writeElf({ sections: [], extendedCount: true });
      setU64(bytes, shoff + 32, 1n << 40n);
      expectCode(() => parseElf(bytes).sections, 'out-of-bounds');
    });

    it('refuses 64-bit fields at or above 2^53, naming the field', () => {
      const { bytes, shoff } = writeElf({ sections: [{ name: '.text', type: SectionType.PROGBITS }] });
      setU64(bytes, shoff + 64 + 24, 1n << 60n);
      const error = expectCode(() => parseElf(bytes).sections, 'too-large');
      expect(error.context).toMatchObject({ field: 'sh_offset', section: 1, offset: shoff + 64 + 24 });
    });

    it('reports section data past the end when the data is read, naming the section', () => {
      const { bytes, shoff } = writeElf({
        sections: [{ name: 'xdp', type: SectionType.PROGBITS, data: new Uint8Array(16) }],
      });
      setU64(bytes, shoff + 64 + 32, 4096n);
      const elf = parseElf(bytes);
      expect(elf.sections[1]?.name).toBe('xdp');
      const error = expectCode(() => elf.sections[1]?.data, 'out-of-bounds');
      expect(error.context).toMatchObject({ section: 1, sectionName: 'xdp' });
    });

    it('rejects e_shstrndx naming no string table', () => {
      const { bytes } = writeElf({ sections: [{ name: 'a', type: SectionType.PROGBITS }] });
      setU16(bytes, 62, 1);
      expect(expectCode(() => parseElf(bytes).sections, 'bad-index').context.field).toBe('e_shstrndx');
      setU16(bytes, 62, 50);
      expectCode(() => parseElf(bytes).sections, 'bad-index');
    });

    it('rejects a section name without a terminating NUL', () => {
      const strtab = new Uint8Array([0, 0x61, 0x62]);
      const { bytes, shoff, shstrndx } = writeElf({ sections: [{ name: 'x', type: SectionType.PROGBITS }] });
      // Point .shstrtab at a table whose last string has no NUL, and name section 1 from it.
      const table = new Uint8Array(bytes.length + strtab.length);
      table.set(bytes);
      table.set(strtab, bytes.length);
      const header = shoff + shstrndx * 64;
      setU64(table, header + 24, BigInt(bytes.length));
      setU64(table, header + 32, BigInt(strtab.length));
      new DataView(table.buffer).setUint32(shoff + 64, 1, true);
      const error = expectCode(() => parseElf(table).sections, 'unterminated-string');
      expect(error.context.field).toBe('sh_name of section [1]');
    });

    it('rejects a name offset past the end of the table', () => {
      const { bytes, shoff } = writeElf({ sections: [{ name: 'x', type: SectionType.PROGBITS }] });
      new DataView(bytes.buffer).setUint32(shoff + 64, 9999, true);
      expectCode(() => parseElf(bytes).sections, 'bad-index');
    });

    it('looks up a section by an index that does not exist with a clear error', () => {
      const elf = parseElf(readFixture('map_in_map'));
      const error = expectCode(() => elf.section(500), 'bad-index');
      expect(error.context).toMatchObject({ section: 500, actual: 500 });
    });
  });

  /** An object with .text, a symbol table, its strings and one REL section against .text. */
  function objectWithSymbols(options: { symtabEntsize?: number; relSymbol?: number; symtabLink?: number } = {}) {
    const names = new StringTableWriter();
    const main = names.add('main');
    const symbols = symbolBytes([{ name: main, info: 0x12, shndx: 1, size: 8 }]);
    return writeElf({
      sections: [
        { name: '.text', type: SectionType.PROGBITS, flags: 6, data: new Uint8Array(16) },
        { name: '.strtab', type: SectionType.STRTAB, data: names.finish(), align: 1 },
        {
          name: '.symtab',
          type: SectionType.SYMTAB,
          data: symbols,
          link: options.symtabLink ?? 2,
          entsize: options.symtabEntsize ?? 24,
        },
        {
          name: '.rel.text',
          type: SectionType.REL,
          data: relBytes([{ offset: 0, symbol: options.relSymbol ?? 1, type: 1 }]),
          link: 3,
          info: 1,
          entsize: 16,
        },
      ],
    });
  }

  describe('symbols and relocations', () => {
    it('read a well-formed synthetic object', () => {
      const elf = parseElf(objectWithSymbols().bytes);
      expect(elf.symbols.map((s) => s.name)).toEqual(['', 'main']);
      expect(elf.relocationsFor(1)?.entries).toEqual([{ index: 0, offset: 0, type: 1, symbol: 1, addend: 0 }]);
    });

    it('reject a symbol table entry size of 0', () => {
      const error = expectCode(() => parseElf(objectWithSymbols({ symtabEntsize: 0 }).bytes).symbols, 'bad-entsize');
      expect(error.context).toMatchObject({ field: 'sh_entsize', expected: 24, actual: 0, sectionName: '.symtab' });
    });

    it('reject a wrong symbol table entry size', () => {
      expectCode(() => parseElf(objectWithSymbols({ symtabEntsize: 16 }).bytes).symbols, 'bad-entsize');
    });

    it('reject a symbol table whose sh_link is not a string table', () => {
      const error = expectCode(() => parseElf(objectWithSymbols({ symtabLink: 1 }).bytes).symbols, 'bad-link');
      expect(error.context.field).toBe('sh_link');
    });

    it('reject a relocation naming a symbol past the table, with the entry and offset', () => {
      const elf = parseElf(objectWithSymbols({ relSymbol: 7 }).bytes);
      const error = expectCode(() => elf.relocationsFor(1)?.entries, 'bad-index');
      expect(error.context).toMatchObject({ sectionName: '.rel.text', entry: 0, expected: '< 2', actual: 7 });
    });

    it('reject a second symbol table', () => {
      const names = new StringTableWriter();
      const { bytes } = writeElf({
        sections: [
          { name: '.strtab', type: SectionType.STRTAB, data: names.finish(), align: 1 },
          { name: '.symtab', type: SectionType.SYMTAB, data: symbolBytes([]), link: 1, entsize: 24 },
          { name: '.symtab2', type: SectionType.SYMTAB, data: symbolBytes([]), link: 1, entsize: 24 },
        ],
      });
      expectCode(() => parseElf(bytes).symbols, 'duplicate-symtab');
    });

    it('reject a relocation section whose sh_info is out of range', () => {
      const { bytes, shoff } = objectWithSymbols();
      new DataView(bytes.buffer).setUint32(shoff + 4 * 64 + 44, 77, true);
      expect(expectCode(() => parseElf(bytes).relocationSections, 'bad-link').context.field).toBe('sh_info');
    });
  });

  describe('extended numbering', () => {
    it('reads the section count and name index from section 0', () => {
      for (const littleEndian of [true, false]) {
        const { bytes } = writeElf({
          littleEndian,
          sections: [{ name: 'xdp', type: SectionType.PROGBITS, data: new Uint8Array(8) }],
          extendedCount: true,
          extendedNameIndex: true,
        });
        const elf = parseElf(bytes);
        expect(elf.header.rawSectionCount).toBe(0);
        expect(elf.header.rawSectionNameIndex).toBe(0xffff);
        expect(elf.sections.map((s) => s.name)).toEqual(['', 'xdp', '.shstrtab']);
      }
    });

    it('resolves SHN_XINDEX symbols through SHT_SYMTAB_SHNDX', () => {
      const names = new StringTableWriter();
      const far = names.add('far');
      const shndx = new Uint8Array(8);
      new DataView(shndx.buffer).setUint32(4, 1, true);
      const { bytes } = writeElf({
        sections: [
          { name: 'data', type: SectionType.PROGBITS, data: new Uint8Array(8) },
          { name: '.strtab', type: SectionType.STRTAB, data: names.finish(), align: 1 },
          {
            name: '.symtab',
            type: SectionType.SYMTAB,
            data: symbolBytes([{ name: far, shndx: 0xffff }]),
            link: 2,
            entsize: 24,
          },
          { name: '.symtab_shndx', type: SectionType.SYMTAB_SHNDX, data: shndx, link: 3, entsize: 4 },
        ],
      });
      expect(parseElf(bytes).symbol(1)).toMatchObject({ name: 'far', sectionIndex: 1 });
    });

    it('rejects SHN_XINDEX without a SHT_SYMTAB_SHNDX table', () => {
      const names = new StringTableWriter();
      const { bytes } = writeElf({
        sections: [
          { name: '.strtab', type: SectionType.STRTAB, data: names.finish(), align: 1 },
          {
            name: '.symtab',
            type: SectionType.SYMTAB,
            data: symbolBytes([{ name: 0, shndx: 0xffff }]),
            link: 1,
            entsize: 24,
          },
        ],
      });
      expect(expectCode(() => parseElf(bytes).symbols, 'bad-index').context).toMatchObject({
        entry: 1,
        field: 'st_shndx',
      });
    });
  });

  describe('reading fixtures', () => {
    it('decodes nothing but the header at open, and caches what it decodes', () => {
      const elf = parseElf(readFixture('map_in_map'));
      expect(elf.sections).toBe(elf.sections);
      expect(elf.symbols).toBe(elf.symbols);
      const rel = elf.relocationsFor(elf.sectionByName('.maps')?.index ?? -1);
      expect(rel?.entries).toBe(rel?.entries);
    });

    it('gives SHT_NOBITS sections a size but no bytes', () => {
      const bss = parseElf(readFixture('map_in_map')).sectionByName('.bss');
      expect(bss?.isNoBits).toBe(true);
      expect(bss?.size).toBe(4);
      expect(bss?.data.length).toBe(0);
    });

    it('reads the same structure from both byte orders', () => {
      const el = parseElf(readFixture('map_in_map', 'el'));
      const eb = parseElf(readFixture('map_in_map', 'eb'));
      expect(eb.littleEndian).toBe(false);
      expect(eb.sections.map((s) => [s.name, s.size])).toEqual(el.sections.map((s) => [s.name, s.size]));
      expect(eb.symbols.map((s) => [s.name, s.value, s.sectionIndex])).toEqual(
        el.symbols.map((s) => [s.name, s.value, s.sectionIndex]),
      );
      const slots = (elf: ElfFile) => elf.relocationsFor(elf.sectionByName('.maps')?.index ?? -1)?.entries;
      expect(slots(eb)).toEqual(slots(el));
    });

    it('finds the seed slot relocations in .rel.maps', () => {
      const elf = parseElf(readFixture('map_in_map'));
      const maps = elf.sectionByName('.maps');
      const slots = elf.relocationsFor(maps?.index ?? -1)?.entries.map((e) => [e.offset, elf.symbol(e.symbol).name]);
      expect(slots).toEqual([
        [0x60, 'inner_map1'],
        [0x70, 'inner_map2'],
        [0x90, 'inner_map2'],
        [0xb0, 'inner_map1'],
      ]);
      readAll(elf);
    });
  });
});

describe('a file held whole', () => {
  it('returns section data as views of the input, not copies', () => {
    const bytes = readFixture('map_in_map');
    const maps = parseWhole(bytes).sectionByName('.maps');
    expect(maps?.data.buffer).toBe(bytes.buffer);
    expect(maps?.data.byteOffset).toBe((maps?.offset ?? 0) + bytes.byteOffset);
  });
});
