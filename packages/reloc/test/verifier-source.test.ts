import { readObjectBtf } from '@bpfkit/btf';
import { parseElf } from '@bpfkit/elf';
import { readFixture } from '@bpfkit/fixtures';
import { resolveMaps } from '@bpfkit/maps';
import { describe, expect, it } from 'vitest';
import { type CoreFixup, formatSourceLine, locateVerifierFailure, planPrograms } from '../src/index.js';

const elf = parseElf(readFixture('globals_subprogs'), { name: 'globals_subprogs.el.o' });
const objectBtf = readObjectBtf(elf);
const plan = planPrograms(elf, resolveMaps(elf, objectBtf?.btf), {
  ...(objectBtf?.ext === undefined ? {} : { ext: objectBtf.ext }),
  ...(objectBtf?.btf === undefined ? {} : { btf: objectBtf.btf }),
}).find((p) => p.lineInfo.length > 1);
if (plan === undefined) throw new Error('globals_subprogs has no program with line info');

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
});

describe('locateVerifierFailure', () => {
  it('maps an instruction to the nearest line record at or before it', () => {
    const [, second] = plan.lineInfo;
    if (second === undefined) throw new Error('no second line record');
    const failure = locateVerifierFailure(second.insn, plan.lineInfo, plan.instructions);
    expect(failure.line).toBe(second);
    expect(failure.where).toBe(formatSourceLine(second));
    expect(failure.where).toMatch(/^globals_subprogs\.bpf\.c:\d+: \S/);
    expect(failure.core).toBeUndefined();
  });

  it('gives no place for a log that names no instruction', () => {
    expect(locateVerifierFailure(undefined, plan.lineInfo, plan.instructions)).toMatchObject({
      where: '',
      line: undefined,
    });
  });

  it('blames a poisoned CO-RE fix-up on the failing instruction, and only there', () => {
    const insn = plan.lineInfo[1]?.insn ?? 0;
    const failure = locateVerifierFailure(insn, plan.lineInfo, plan.instructions, [poisoned(insn)]);
    expect(failure.core?.fixup.insn).toBe(insn);
    expect(failure.core?.explanation).toContain('struct s.missing');
    expect(failure.core?.explanation).toContain('bpf_core_field_exists()');
    expect(locateVerifierFailure(insn + 1, plan.lineInfo, plan.instructions, [poisoned(insn)]).core).toBeUndefined();
  });
});
