import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { allFixtures, requireTool } from '@bpfkit/fixtures';
import { describe, expect, it } from 'vitest';
import { parseElf, SymbolType } from '../src/index.js';

const haveReadelf = requireTool('llvm-readelf-19', 'llvm-19');

interface Named {
  Name: string;
  Value: number;
}
interface ReadelfSection {
  Section: {
    Index: number;
    Name: Named;
    Type: Named;
    Flags: { Value: number };
    Offset: number;
    Size: number;
    Link: number;
    Info: number;
    AddressAlignment: number;
    EntrySize: number;
  };
}
interface ReadelfSymbol {
  Symbol: {
    Name: Named;
    Value: number;
    Size: number;
    Binding: Named;
    Type: Named;
    Other: { Value: number };
    Section: Named;
  };
}
interface ReadelfRelocations {
  SectionIndex: number;
  Relocs: { Relocation: { Offset: number; Type: Named; Symbol: Named } }[];
}
interface ReadelfOutput {
  ElfHeader: { Machine: Named; Flags: { Value: number }; SectionHeaderOffset: number };
  Sections: ReadelfSection[];
  Symbols: ReadelfSymbol[];
  Relocations: ReadelfRelocations[];
}

function readelf(path: string): ReadelfOutput {
  const json = execFileSync('llvm-readelf-19', ['--elf-output-style=JSON', '-h', '-S', '-s', '-r', path], {
    encoding: 'utf8',
  });
  return (JSON.parse(json) as ReadelfOutput[])[0] as ReadelfOutput;
}

describe.skipIf(!haveReadelf).each(allFixtures())('$label agrees with llvm-readelf-19', (fixture) => {
  const elf = parseElf(new Uint8Array(readFileSync(fixture.path)), { name: fixture.label });
  const reference = haveReadelf ? readelf(fixture.path) : ({} as ReadelfOutput);

  it('has the same header', () => {
    expect(elf.header.machine).toBe(reference.ElfHeader.Machine.Value);
    expect(elf.header.flags).toBe(reference.ElfHeader.Flags.Value);
    expect(elf.header.sectionHeaderOffset).toBe(reference.ElfHeader.SectionHeaderOffset);
    expect(elf.header.byteOrder).toBe(fixture.order === 'el' ? 'little' : 'big');
  });

  it('has the same sections', () => {
    const ours = elf.sections.map((s) => ({
      index: s.index,
      name: s.name,
      type: s.type,
      flags: s.flags,
      offset: s.offset,
      size: s.size,
      link: s.link,
      info: s.info,
      align: s.addressAlign,
      entsize: s.entrySize,
    }));
    const theirs = reference.Sections.map(({ Section: s }) => ({
      index: s.Index,
      name: s.Name.Name,
      type: s.Type.Value,
      flags: s.Flags.Value,
      offset: s.Offset,
      size: s.Size,
      link: s.Link,
      info: s.Info,
      align: s.AddressAlignment,
      entsize: s.EntrySize,
    }));
    expect(ours).toEqual(theirs);
  });

  it('has the same symbols', () => {
    // llvm-readelf shows a nameless section symbol under its section's name.
    const ours = elf.symbols.map((s) => ({
      name: s.name === '' && s.type === SymbolType.SECTION ? elf.section(s.sectionIndex).name : s.name,
      value: s.value,
      size: s.size,
      bind: s.bind,
      type: s.type,
      other: s.other,
      section: s.sectionIndex,
    }));
    const theirs = reference.Symbols.map(({ Symbol: s }) => ({
      name: s.Name.Name,
      value: s.Value,
      size: s.Size,
      bind: s.Binding.Value,
      type: s.Type.Value,
      other: s.Other.Value,
      section: s.Section.Value,
    }));
    expect(ours).toEqual(theirs);
  });

  it('has the same relocations', () => {
    const ours = elf.relocationSections.map((r) => ({
      section: r.section.index,
      entries: r.entries.map((e) => ({
        offset: e.offset,
        type: e.type,
        symbol: elf.symbol(e.symbol).name || elf.section(elf.symbol(e.symbol).sectionIndex).name,
      })),
    }));
    const theirs = reference.Relocations.map((r) => ({
      section: r.SectionIndex,
      entries: r.Relocs.map(({ Relocation: e }) => ({
        offset: e.Offset,
        type: e.Type.Value,
        symbol: e.Symbol.Name,
      })),
    }));
    expect(ours).toEqual(theirs);
  });
});
