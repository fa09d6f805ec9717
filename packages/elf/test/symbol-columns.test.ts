import { readFileSync } from 'node:fs';
import { allFixtures, StringTableWriter, symbolBytes, writeElf } from '@bpfkit/fixtures';
import { describe, expect, it } from 'vitest';
import { ElfError, type ElfFile, parseElf, SectionType, type SymbolColumns } from '../src/index.js';

/** The columns turned back into the fields the object reader gives. */
function rows(columns: SymbolColumns | undefined) {
  if (columns === undefined) return [];
  return Array.from({ length: columns.count }, (_, i) => ({
    name: columns.nameOffsets[i] === 0 ? '' : columns.names.at(columns.nameOffsets[i] as number),
    value: columns.values[i],
    bind: (columns.info[i] as number) >> 4,
    type: (columns.info[i] as number) & 0xf,
    sectionIndex: columns.sectionIndexes[i],
  }));
}

function objects(elf: ElfFile, dynamic: boolean) {
  return (dynamic ? elf.dynamicSymbols : elf.symbols).map(({ name, value, bind, type, sectionIndex }) => ({
    name,
    value,
    bind,
    type,
    sectionIndex,
  }));
}

describe('symbol columns', () => {
  it.each(allFixtures())('hold what the symbol objects hold: $label', ({ path }) => {
    const elf = parseElf(new Uint8Array(readFileSync(path)));
    expect(rows(elf.symbolColumns())).toEqual(objects(elf, false));
    expect(elf.symbolColumns()).toBe(elf.symbolColumns());
  });

  it('read the dynamic symbol table of a shared library', () => {
    // The C library this process mapped (its .dynsym holds thousands of symbols).
    const libc = readFileSync('/proc/self/maps', 'utf8').match(/\S*\/libc\.so\.6$/m)?.[0];
    if (libc === undefined) throw new Error('this process maps no libc.so.6');
    const elf = parseElf(new Uint8Array(readFileSync(libc)));
    const dynamic = elf.symbolColumns(true);
    expect(dynamic?.count).toBeGreaterThan(100);
    expect(rows(dynamic)).toEqual(objects(elf, true));
  });

  it('are undefined for a file without the table', () => {
    const { bytes } = writeElf({ sections: [{ name: '.text', type: SectionType.PROGBITS, data: new Uint8Array(8) }] });
    expect(parseElf(bytes).symbolColumns()).toBeUndefined();
    expect(parseElf(bytes).symbolColumns(true)).toBeUndefined();
  });

  it('refuse what the object reader refuses, with the same error', () => {
    const names = new StringTableWriter();
    const main = names.add('main');
    const { bytes } = writeElf({
      sections: [
        { name: '.strtab', type: SectionType.STRTAB, data: names.finish(), align: 1 },
        {
          name: '.symtab',
          type: SectionType.SYMTAB,
          data: symbolBytes([{ name: main, info: 0x12, shndx: 0xffff, size: 8 }]),
          link: 1,
          entsize: 24,
        },
      ],
    });
    const failure = (read: () => unknown) => {
      try {
        read();
      } catch (error) {
        return ElfError.is(error) ? { code: error.code, context: error.context } : error;
      }
      return undefined;
    };
    const columns = failure(() => parseElf(bytes).symbolColumns());
    expect(columns).toMatchObject({ code: 'bad-index', context: { field: 'st_shndx', entry: 1 } });
    expect(columns).toEqual(failure(() => parseElf(bytes).symbols));
  });
});
