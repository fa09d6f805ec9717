import { readFileSync } from 'node:fs';
import { allFixtures } from '@bpfkit/fixtures';
import { describe, expect, it } from 'vitest';
import { ElfError, type ElfFile, parseElf, parseElfFrom, type Section } from '../src/index.js';
import { PositionedSource } from './positioned-source.js';

/** What a parsed file exposes, as plain data. */
function contents(elf: ElfFile) {
  return {
    header: elf.header,
    sections: elf.sections.map((s) => ({ name: s.name, type: s.type, offset: s.offset, data: [...s.data] })),
    symbols: elf.symbols,
    dynamicSymbols: elf.dynamicSymbols,
    relocations: elf.relocationSections.map((r) => ({ target: r.targetIndex, entries: r.entries })),
  };
}

/** The C library this process mapped: a shared library with .dynsym, code and data. */
function libcPath(): string {
  const libc = readFileSync('/proc/self/maps', 'utf8').match(/\S*\/libc\.so\.6$/m)?.[0];
  if (libc === undefined) throw new Error('this process maps no libc.so.6');
  return libc;
}

/** True when every read lies inside one of `allowed` ([offset, length] pairs). */
function readsWithin(reads: readonly [number, number][], allowed: readonly [number, number][]): boolean {
  return reads.every(([offset, length]) => allowed.some(([at, size]) => offset >= at && offset + length <= at + size));
}

describe('a file read by position', () => {
  it.each(allFixtures())('decodes as the file held whole does: $label', ({ path }) => {
    const bytes = new Uint8Array(readFileSync(path));
    expect(contents(parseElfFrom(new PositionedSource(bytes)))).toEqual(contents(parseElf(bytes)));
  });

  it('reads a shared library symbol table by reading only the header, the section headers, the tables and their strings', () => {
    const bytes = new Uint8Array(readFileSync(libcPath()));
    const source = new PositionedSource(bytes);
    const elf = parseElfFrom(source, { name: 'libc.so.6' });
    const view = elf.symbolTableView(true);
    expect(view?.count).toBe(parseElf(bytes).dynamicSymbols.length);

    const whole = parseElf(bytes);
    const table = whole.dynamicSymbolTableSection as Section;
    const span = (s: Section): [number, number] => [s.offset, s.size];
    const names = whole.section(whole.header.rawSectionNameIndex);
    const headers: [number, number] = [whole.header.sectionHeaderOffset, whole.sections.length * 64];
    expect(
      readsWithin(source.reads, [[0, 64], headers, span(names), span(table), span(whole.section(table.link))]),
    ).toBe(true);
    const read = source.reads.reduce((sum, [, length]) => sum + length, 0);
    expect(read).toBeLessThan(bytes.length / 4);
    // Each part once: the sections keep what they read.
    void elf.symbolTableView(true);
    void elf.dynamicSymbols;
    expect(source.reads.reduce((sum, [, length]) => sum + length, 0)).toBe(read);
  });

  it('reads nothing past the header until sections are asked for', () => {
    const source = new PositionedSource(new Uint8Array(readFileSync(libcPath())));
    parseElfFrom(source);
    expect(source.reads).toEqual([[0, 64]]);
  });

  it('refuses a file that shrank after its size was taken, naming what ran out', () => {
    const bytes = new Uint8Array(readFileSync(libcPath()));
    const whole = parseElf(bytes);
    const table = whole.dynamicSymbolTableSection as Section;
    // Cut inside .dynsym: the section header table, at the end of the file, is the first read to come back short.
    const elf = parseElfFrom(new PositionedSource(bytes, table.offset + 10), { name: 'libc.so.6' });
    try {
      void elf.dynamicSymbols;
      expect.unreachable();
    } catch (error) {
      expect(ElfError.is(error)).toBe(true);
      expect((error as ElfError).code).toBe('truncated');
      expect((error as ElfError).context).toMatchObject({
        object: 'libc.so.6',
        offset: whole.header.sectionHeaderOffset,
        expected: `${whole.sections.length * 64} bytes`,
        actual: '0 bytes',
      });
    }
  });

  it('refuses a table its header places past the end of the file, without reading it', () => {
    const bytes = new Uint8Array(readFileSync(libcPath()));
    const table = parseElf(bytes).dynamicSymbolTableSection as Section;
    // sh_size of .dynsym, a whole number of entries, now ending past the end of the file.
    const size = Math.ceil(bytes.length / 24) * 24;
    new DataView(bytes.buffer).setBigUint64(table.headerOffset + 32, BigInt(size), true);
    const source = new PositionedSource(bytes);
    const failure = (() => {
      try {
        void parseElfFrom(source, { name: 'libc.so.6' }).dynamicSymbols;
      } catch (error) {
        return error;
      }
    })();
    expect(ElfError.is(failure) && failure.code).toBe('out-of-bounds');
    expect((failure as ElfError).context).toMatchObject({ object: 'libc.so.6', section: table.index });
    expect(source.reads.some(([offset]) => offset === table.offset)).toBe(false);
  });
});
