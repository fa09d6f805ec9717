import { readObjectBtf } from '@bpfkit/btf';
import { parseElf } from '@bpfkit/elf';
import { allFixtures, readFixture } from '@bpfkit/fixtures';
import { resolveMaps } from '@bpfkit/maps';
import { describe, expect, it } from 'vitest';
import {
  coreRelocationsOf,
  encodeFuncInfo,
  encodeInstructions,
  encodeLineInfo,
  planPrograms,
  programCode,
  writeProgram,
  writeProgramCode,
} from '../src/index.js';

// Every well-formed fixture in both byte orders: a plan's bytes and the instructions made
// from them must give the kernel the same program, func info and line info.
const fixtures = allFixtures().filter((f) => !f.invalid);

describe('a plan kept as bytes', () => {
  it.each(fixtures.map((f) => [f.label, f] as const))('%s: encodes as its instructions do', (_, f) => {
    const elf = parseElf(readFixture(f.name, f.order), { name: f.label });
    const objectBtf = readObjectBtf(elf);
    const plans = planPrograms(elf, resolveMaps(elf, objectBtf?.btf), {
      ...(objectBtf?.ext === undefined ? {} : { ext: objectBtf.ext }),
      ...(objectBtf?.btf === undefined ? {} : { btf: objectBtf.btf }),
    });
    expect(plans.length).toBeGreaterThan(0);
    const mapFd = () => 7;
    for (const plan of plans) {
      const code = programCode(plan);
      expect(code).toBeDefined();
      if (code === undefined) continue;
      for (const littleEndian of [true, false]) {
        expect(code.encode(littleEndian)).toEqual(encodeInstructions(plan.instructions, littleEndian));
        expect(code.funcInfo(littleEndian)).toEqual(encodeFuncInfo(plan.instructions, littleEndian));
        expect(code.lineInfo(littleEndian)).toEqual(encodeLineInfo(plan.instructions, littleEndian));
        for (const mode of ['fd', 'fd-array'] as const) {
          expect(writeProgramCode(code, mapFd, littleEndian, { mode })).toEqual(
            writeProgram(plan.instructions, mapFd, littleEndian, { mode }),
          );
        }
      }
      // CO-RE relocations and single slots read off the bytes, as the instructions hold them.
      expect(code.coreRelocations()).toEqual(coreRelocationsOf(plan.instructions));
      plan.instructions.forEach(({ code: opcode, dst, src, off, imm }, at) => {
        expect(code.instruction(at)).toEqual({ code: opcode, dst, src, off, imm });
      });
      expect(code.instruction(plan.instructions.length)).toBeUndefined();
      expect(code.instruction(-1)).toBeUndefined();
      // Reading the instructions does not replace the bytes; a tool assigning them does.
      expect(programCode(plan)).toBe(code);
      (plan as { instructions: unknown }).instructions = [...plan.instructions];
      expect(programCode(plan)).toBeUndefined();
    }
  });
});
