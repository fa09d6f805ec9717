import { readObjectBtf } from '@bpfkit/btf';
import { type ElfFile, parseElf, SectionType } from '@bpfkit/elf';
import { allFixtures, readFixture } from '@bpfkit/fixtures';
import { resolveMaps } from '@bpfkit/maps';
import { describe, expect, it } from 'vitest';
import { isCodeSection, planPrograms, readCodeSections, writeProgram } from '../src/index.js';

/** The object's bytes with the entries of each code section's SHT_REL section in reverse order. */
function withRelocationsReversed(bytes: Uint8Array, elf: ElfFile): { bytes: Uint8Array; reversed: number } {
  const copy = bytes.slice();
  let reversed = 0;
  for (const section of elf.sections) {
    const target = elf.sections[section.info];
    if (section.type !== SectionType.REL || target === undefined || !isCodeSection(target)) continue;
    const count = section.size / 16;
    if (count < 2) continue;
    for (let i = 0; i < count; i++) {
      const from = section.offset + (count - 1 - i) * 16;
      copy.set(bytes.subarray(from, from + 16), section.offset + i * 16);
    }
    reversed++;
  }
  return { bytes: copy, reversed };
}

function plansOf(bytes: Uint8Array, label: string) {
  const elf = parseElf(bytes, { name: label });
  const objectBtf = readObjectBtf(elf);
  return planPrograms(elf, resolveMaps(elf, objectBtf?.btf), {
    ...(objectBtf?.ext === undefined ? {} : { ext: objectBtf.ext }),
    ...(objectBtf?.btf === undefined ? {} : { btf: objectBtf.btf }),
  });
}

describe('relocations a producer lists out of order', () => {
  const fixtures = allFixtures().filter((f) => !f.invalid && f.order === 'el');

  it('link as the ordered list does, and read back in instruction order', () => {
    let checked = 0;
    for (const f of fixtures) {
      const bytes = readFixture(f.name, f.order);
      const elf = parseElf(bytes, { name: f.label });
      const { bytes: shuffled, reversed } = withRelocationsReversed(bytes, elf);
      if (reversed === 0) continue;
      checked++;
      const relocations = (b: Uint8Array) =>
        [...readCodeSections(parseElf(b)).values()].map((s) =>
          [...s.relocations].map(([insn, sym]) => [insn, sym.name]),
        );
      expect(relocations(shuffled)).toEqual(relocations(bytes));
      for (const s of readCodeSections(parseElf(shuffled)).values()) {
        const insns = [...s.relocations.keys()];
        expect(insns).toEqual([...insns].sort((a, b) => a - b));
      }
      const program = (b: Uint8Array) =>
        plansOf(b, f.label).map((p) => [p.name, writeProgram(p.instructions, () => 7, true, { mode: 'fd' })]);
      expect(program(shuffled)).toEqual(program(bytes));
    }
    expect(checked).toBeGreaterThan(3);
  });
});
