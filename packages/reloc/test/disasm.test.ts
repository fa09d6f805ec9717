import { execFileSync } from 'node:child_process';
import { parseElf } from '@bpfkit/elf';
import { allFixtures, readFixture, requireTool } from '@bpfkit/fixtures';
import { describe, expect, it } from 'vitest';
import {
  AluOp,
  decodeInstructions,
  disassemble,
  encodeInstructions,
  JmpOp,
  ProgramBuilder,
  readCodeSections,
} from '../src/index.js';

const haveObjdump = requireTool('llvm-objdump-19', 'llvm-19');

/** llvm-objdump's lines per section: `{ section: [[index, text], ...] }`. */
function objdump(path: string): Record<string, [number, string][]> {
  const out = execFileSync('llvm-objdump-19', ['-d', '--no-show-raw-insn', path], { encoding: 'utf8' });
  const sections: Record<string, [number, string][]> = {};
  let current: [number, string][] | undefined;
  for (const line of out.split('\n')) {
    const section = /^Disassembly of section (.+):$/.exec(line);
    if (section !== null) {
      current = [];
      sections[section[1] as string] = current;
      continue;
    }
    const insn = /^\s*(\d+):\t(.*)$/.exec(line);
    if (insn !== null && current !== undefined) current.push([Number(insn[1]), insn[2] as string]);
  }
  return sections;
}

describe.skipIf(!haveObjdump)('the disassembler writes what llvm-objdump-19 writes', () => {
  it.each(allFixtures().map((f) => [f.label, f] as const))('%s', (_label, f) => {
    const elf = parseElf(readFixture(f.name, f.order));
    const reference = objdump(f.path);
    const code = readCodeSections(elf);
    expect(Object.keys(reference).sort()).toEqual([...code.values()].map((s) => s.section.name).sort());
    for (const { section, instructions, functions } of code.values()) {
      const labeler = (index: number) => {
        const fn = functions.find((x) => index >= x.start && index < x.end);
        return fn === undefined ? undefined : { name: fn.name, start: fn.start };
      };
      const ours = disassemble(instructions, labeler).map((l) => [l.index, l.text]);
      expect({ section: section.name, lines: ours }).toEqual({ section: section.name, lines: reference[section.name] });
    }
  });
});

describe('instructions', () => {
  it('encode back to the bytes they were decoded from, both byte orders', () => {
    for (const f of allFixtures()) {
      const elf = parseElf(readFixture(f.name, f.order));
      for (const section of elf.sections.filter((s) => (s.flags & 4) !== 0 && s.size > 0)) {
        const decoded = decodeInstructions(section.data, elf.littleEndian);
        expect(encodeInstructions(decoded, elf.littleEndian)).toEqual(section.data);
      }
    }
  });

  it('can be written by hand with the builder', () => {
    const program = new ProgramBuilder()
      .mov(0, 1)
      .jump(JmpOp.JEQ, 1, 0, 'out')
      .alu(AluOp.ADD, 0, 41)
      .label('out')
      .exit()
      .build();
    expect(disassemble(program).map((l) => l.text)).toEqual([
      'r0 = 0x1',
      'if r1 == 0x0 goto +0x1',
      'r0 += 0x29',
      'exit',
    ]);
    expect(() => new ProgramBuilder().jump(JmpOp.JA, 0, 0, 'nowhere').build()).toThrow(/undefined label 'nowhere'/);
  });
});
