import { readObjectBtf } from '@bpfkit/btf';
import { parseElf } from '@bpfkit/elf';
import { readFixture } from '@bpfkit/fixtures';
import { resolveMaps } from '@bpfkit/maps';
import { describe, expect, it } from 'vitest';
import {
  decodeInstructions,
  encodeInstructions,
  INSN_SIZE,
  mapReferencesOf,
  type ProgramPlan,
  PseudoSource,
  planPrograms,
  RelocError,
  writeInstructions,
  writeProgram,
} from '../src/index.js';

function plans(name: string): ProgramPlan[] {
  const elf = parseElf(readFixture(name), { name: `${name}.el.o` });
  const objectBtf = readObjectBtf(elf);
  return planPrograms(elf, resolveMaps(elf, objectBtf?.btf), {
    ...(objectBtf?.ext === undefined ? {} : { ext: objectBtf.ext }),
    ...(objectBtf?.btf === undefined ? {} : { btf: objectBtf.btf }),
  });
}

/** A program of the fixture with map-fd and map-value references both. */
function withBothKinds(): ProgramPlan {
  const found = plans('skeleton').find((p) => {
    const references = mapReferencesOf(p.instructions);
    return references.some((r) => r.kind === 'map-fd') && references.some((r) => r.kind === 'map-value');
  });
  if (found === undefined) throw new Error('skeleton has no program with both reference kinds');
  return found;
}

const fds = (names: readonly string[]) => new Map(names.map((name, i) => [name, 100 + i]));

describe('writeInstructions: map references', () => {
  it("writes each map's fd and each value offset into a copy, leaving the plan's instructions as they were", () => {
    const plan = withBothKinds();
    const before = structuredClone(plan.instructions);
    const references = mapReferencesOf(plan.instructions);
    const byName = fds([...new Set(references.map((r) => r.map))]);
    const { instructions, fdArray } = writeInstructions(plan.instructions, (m) => byName.get(m));
    expect(fdArray).toEqual([]);
    expect(plan.instructions).toEqual(before);
    for (const ref of references) {
      const first = instructions[ref.insn];
      expect(first?.imm).toBe(byName.get(ref.map));
      expect(first?.src).toBe(ref.kind === 'map-fd' ? PseudoSource.MAP_FD : PseudoSource.MAP_VALUE);
      expect(instructions[ref.insn + 1]?.imm).toBe(ref.kind === 'map-fd' ? 0 : ref.offset);
    }
  });

  it('in fd-array mode writes indexes after the prefix, one per map in first-use order', () => {
    const plan = withBothKinds();
    const references = mapReferencesOf(plan.instructions);
    const byName = fds([...new Set(references.map((r) => r.map))]);
    const { instructions, fdArray } = writeInstructions(plan.instructions, (m) => byName.get(m), {
      mode: 'fd-array',
      fdArrayPrefix: [0, 7],
    });
    const firstUse = [...new Set(references.map((r) => byName.get(r.map)))];
    expect(fdArray).toEqual([0, 7, ...firstUse]);
    for (const ref of references) {
      const first = instructions[ref.insn];
      expect(fdArray[first?.imm ?? -1]).toBe(byName.get(ref.map));
      expect(first?.src).toBe(ref.kind === 'map-fd' ? PseudoSource.MAP_IDX : PseudoSource.MAP_IDX_VALUE);
    }
  });

  it('names the program, instruction and map when a map has no fd', () => {
    const plan = withBothKinds();
    const ref = mapReferencesOf(plan.instructions)[0];
    try {
      writeInstructions(plan.instructions, () => undefined, { program: plan.name, object: 'o.o' });
      expect.unreachable();
    } catch (error) {
      expect(RelocError.is(error) && error.code).toBe('missing-map');
      expect((error as RelocError).context).toMatchObject({ program: plan.name, insn: ref?.insn, symbol: ref?.map });
    }
  });
});

describe('writeProgram: the slots a program loads with, encoded', () => {
  it("leaves every slot without a map reference as the plan's instruction, and writes fds into the others", () => {
    const plan = withBothKinds();
    const references = mapReferencesOf(plan.instructions);
    const byName = fds([...new Set(references.map((r) => r.map))]);
    const { bytes } = writeProgram(plan.instructions, (m) => byName.get(m), true);
    const plain = encodeInstructions(plan.instructions, true);
    const firsts = new Set(references.map((r) => r.insn));
    const seconds = new Set(references.map((r) => r.insn + 1));
    expect(bytes.length).toBe(plan.instructions.length * INSN_SIZE);
    for (let i = 0; i < plan.instructions.length; i++) {
      const slot = bytes.subarray(i * INSN_SIZE, (i + 1) * INSN_SIZE);
      const before = plain.subarray(i * INSN_SIZE, (i + 1) * INSN_SIZE);
      if (firsts.has(i))
        expect(slot).not.toEqual(before); // an fd (100 and up) in place of 0
      else if (!seconds.has(i)) expect(slot).toEqual(before);
    }
  });

  it('writes the same slots in big-endian order as in little-endian (register nibbles swapped)', () => {
    const plan = withBothKinds();
    const references = mapReferencesOf(plan.instructions);
    const byName = fds([...new Set(references.map((r) => r.map))]);
    for (const mode of ['fd', 'fd-array'] as const) {
      const little = writeProgram(plan.instructions, (m) => byName.get(m), true, { mode });
      const big = writeProgram(plan.instructions, (m) => byName.get(m), false, { mode });
      expect(big.bytes).not.toEqual(little.bytes);
      expect(decodeInstructions(big.bytes, false)).toEqual(decodeInstructions(little.bytes, true));
      expect(big.fdArray).toEqual(little.fdArray);
    }
  });
});
