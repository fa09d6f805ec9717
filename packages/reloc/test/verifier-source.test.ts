import { readObjectBtf } from '@bpfkit/btf';
import { parseElf } from '@bpfkit/elf';
import { readFixture } from '@bpfkit/fixtures';
import { resolveMaps } from '@bpfkit/maps';
import { describe, expect, it } from 'vitest';
import {
  CALL,
  CORE_POISON,
  type CoreFixup,
  formatSourceLine,
  lineInfoOf,
  locateVerifierFailure,
  planPrograms,
} from '../src/index.js';

const elf = parseElf(readFixture('globals_subprogs'), { name: 'globals_subprogs.el.o' });
const objectBtf = readObjectBtf(elf);
const plan = planPrograms(elf, resolveMaps(elf, objectBtf?.btf), {
  ...(objectBtf?.ext === undefined ? {} : { ext: objectBtf.ext }),
  ...(objectBtf?.btf === undefined ? {} : { btf: objectBtf.btf }),
}).find((p) => lineInfoOf(p.instructions).length > 1);
if (plan === undefined) throw new Error('globals_subprogs has no program with line info');
const lineInfo = lineInfoOf(plan.instructions);

/** A fix-up as relocateCore records one for a field the target lacks. */
const poisoned = (insn: number): CoreFixup => ({
  insn,
  kind: 0,
  local: '[1] struct s.missing (0:1 @ offset 4)',
  target: undefined,
  oldValue: 4n,
  newValue: 0n,
  checked: true,
  poisoned: true,
  oldSize: 0,
  newSize: 0,
  resizeUnsafe: false,
  replacement: [{ code: CALL, dst: 0, src: 0, off: 0, imm: CORE_POISON }],
});

describe('locateVerifierFailure', () => {
  it('maps an instruction to the nearest line record at or before it', () => {
    const [, second] = lineInfo;
    if (second === undefined) throw new Error('no second line record');
    const failure = locateVerifierFailure(second.insn, plan.instructions);
    expect(failure.line).toEqual(second);
    // An instruction between two records belongs to the earlier one.
    const gap = lineInfo.find((l, i) => (lineInfo[i + 1]?.insn ?? 0) > l.insn + 1);
    if (gap === undefined) throw new Error('no instruction between two line records');
    expect(locateVerifierFailure(gap.insn + 1, plan.instructions).line).toEqual(gap);
    expect(failure.where).toBe(formatSourceLine(second));
    expect(failure.where).toMatch(/^globals_subprogs\.bpf\.c:\d+: \S/);
    expect(failure.core).toBeUndefined();
  });

  it('gives no place for a log that names no instruction', () => {
    expect(locateVerifierFailure(undefined, plan.instructions)).toMatchObject({
      where: '',
      line: undefined,
    });
  });

  it('blames a poisoned CO-RE fix-up on the failing instruction, and only there', () => {
    const insn = lineInfo[1]?.insn ?? 0;
    const failure = locateVerifierFailure(insn, plan.instructions, [poisoned(insn)]);
    expect(failure.core?.fixup.insn).toBe(insn);
    expect(failure.core?.explanation).toContain('struct s.missing');
    expect(failure.core?.explanation).toContain('bpf_core_field_exists()');
    expect(locateVerifierFailure(insn + 1, plan.instructions, [poisoned(insn)]).core).toBeUndefined();
  });
});
