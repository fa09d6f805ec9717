import { readFileSync } from 'node:fs';
import { allFixtures, StringTableWriter, symbolBytes, writeElf } from '@bpfkit/fixtures';
import { describe, expect, it } from 'vitest';
import { ElfError, type ElfFile, parseElf, SectionType, type SymbolTableView } from '../src/index.js';

/** The view's fields, symbol by symbol, as the object reader gives them. */
function rows(view: SymbolTableView | undefined) {
  if (view === undefined) return [];
  return Array.from({ length: view.count }, (_, i) => ({
    name: view.nameOffset(i) === 0 ? '' : view.names.at(view.nameOffset(i)),
    value: view.value(i),
    bind: view.info(i) >> 4,
    type: view.info(i) & 0xf,
    sectionIndex: view.sectionIndex(i),
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

describe('a symbol table view', () => {
  it.each(allFixtures())('hold what the symbol objects hold: $label', ({ path }) => {
    const elf = parseElf(new Uint8Array(readFileSync(path)));
    expect(rows(elf.symbolTableView())).toEqual(objects(elf, false));
    expect(elf.symbolTableView()).toBe(elf.symbolTableView());
  });

  it('read the dynamic symbol table of a shared library', () => {
    // The C library this process mapped (its .dynsym holds thousands of symbols).
    const libc = readFileSync('/proc/self/maps', 'utf8').match(/\S*\/libc\.so\.6$/m)?.[0];
    if (libc === undefined) throw new Error('this process maps no libc.so.6');
    const elf = parseElf(new Uint8Array(readFileSync(libc)));
    const dynamic = elf.symbolTableView(true);
    expect(dynamic?.count).toBeGreaterThan(100);
    expect(rows(dynamic)).toEqual(objects(elf, true));
  });

  it('are undefined for a file without the table', () => {
    const { bytes } = writeElf({ sections: [{ name: '.text', type: SectionType.PROGBITS, data: new Uint8Array(8) }] });
    expect(parseElf(bytes).symbolTableView()).toBeUndefined();
    expect(parseElf(bytes).symbolTableView(true)).toBeUndefined();
  });

  it.each([
    {
      what: 'SHN_XINDEX without an extended index',
      shndx: 0xffff,
      value: 0,
      error: { code: 'bad-index', context: { field: 'st_shndx', entry: 1 } },
    },
    {
      what: 'a value past 2^53',
      shndx: 1,
      value: 2 ** 53,
      error: { code: 'too-large', context: { field: 'st_value', entry: 1 } },
    },
  ])('refuses what the object reader refuses, with the same error: $what', ({ shndx, value, error }) => {
    const names = new StringTableWriter();
    const main = names.add('main');
    const { bytes } = writeElf({
      sections: [
        { name: '.strtab', type: SectionType.STRTAB, data: names.finish(), align: 1 },
        {
          name: '.symtab',
          type: SectionType.SYMTAB,
          data: symbolBytes([{ name: main, info: 0x12, shndx, value, size: 8 }]),
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
    const view = failure(() => rows(parseElf(bytes).symbolTableView()));
    expect(view).toMatchObject(error);
    expect(view).toEqual(failure(() => parseElf(bytes).symbols));
  });
});
