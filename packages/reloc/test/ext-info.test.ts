import { type BtfExt, readObjectBtf } from '@bpfkit/btf';
import { parseElf } from '@bpfkit/elf';
import { readFixture } from '@bpfkit/fixtures';
import { resolveMaps } from '@bpfkit/maps';
import { describe, expect, it } from 'vitest';
import {
  encodeFuncInfo,
  encodeLineInfo,
  funcInfoOf,
  lineInfoOf,
  type ProgramPlan,
  planPrograms,
  RelocError,
  requireExtInfo,
} from '../src/index.js';

function plan(fixture: string, program: string, edit: (ext: BtfExt) => BtfExt = (ext) => ext): ProgramPlan {
  const elf = parseElf(readFixture(fixture), { name: `${fixture}.el.o` });
  const own = readObjectBtf(elf);
  if (own?.ext === undefined) throw new Error('no .BTF.ext');
  const found = planPrograms(elf, resolveMaps(elf, own.btf), { ext: edit(own.ext) }).find((p) => p.name === program);
  if (found === undefined) throw new Error(`no program ${program}`);
  return found;
}

/** The fixture's .BTF.ext with one kind's records of `section` removed. */
const without =
  (kind: 'funcInfo' | 'lineInfo', section: string) =>
  (ext: BtfExt): BtfExt => {
    const kept = new Map<string, unknown>([...ext[kind]].filter(([name]) => name !== section));
    return { ...ext, [kind]: kept } as BtfExt;
  };

describe('func and line info of a linked program', () => {
  it('cover the entry point and every subprogram, each at its place in the final program', () => {
    const p = plan('globals_subprogs', 'entry');
    expect(funcInfoOf(p.instructions).map((f) => f.insn)).toEqual([0, ...p.subprograms.map((s) => s.start)]);
    expect(lineInfoOf(p.instructions).length).toBeGreaterThan(funcInfoOf(p.instructions).length);
    expect(p.missingExtInfo).toBeUndefined();
  });

  it('are taken kind by kind: an entry point without func info still sends its line info', () => {
    const whole = plan('globals_subprogs', 'entry');
    const p = plan('globals_subprogs', 'entry', without('funcInfo', whole.section));
    expect(funcInfoOf(p.instructions)).toEqual([]);
    expect(lineInfoOf(p.instructions)).toEqual(lineInfoOf(whole.instructions));
    expect(p.missingExtInfo).toBeUndefined();
    const noLines = plan('globals_subprogs', 'entry', without('lineInfo', whole.section));
    expect([funcInfoOf(noLines.instructions), lineInfoOf(noLines.instructions)]).toEqual([
      funcInfoOf(whole.instructions),
      [],
    ]);
  });

  it('are read in instruction order whatever the .BTF.ext order, the later of two records of an instruction winning', () => {
    const whole = plan('globals_subprogs', 'entry');
    const shuffled = (ext: BtfExt): BtfExt => {
      const funcInfo = new Map(
        [...ext.funcInfo].map(([section, list]) => {
          const first = list[0];
          // Reversed, and a stale record for the first function put before the real one.
          const stale = first === undefined ? [] : [{ ...first, typeId: first.typeId + 1000 }];
          return [section, [...list].reverse().concat(stale, first === undefined ? [] : [first])];
        }),
      );
      return { funcInfo, lineInfo: ext.lineInfo, coreRelos: ext.coreRelos, recordSizes: ext.recordSizes };
    };
    const p = plan('globals_subprogs', 'entry', shuffled);
    expect(funcInfoOf(p.instructions)).toEqual(funcInfoOf(whole.instructions));
    expect(lineInfoOf(p.instructions)).toEqual(lineInfoOf(whole.instructions));
  });

  it('refuse a subprogram lacking a kind its entry point has, naming it (libbpf refuses the load)', () => {
    const p = plan('globals_subprogs', 'entry', without('lineInfo', '.text'));
    expect(p.missingExtInfo).toEqual({ kind: 'line', subprogram: p.subprograms[0]?.name });
    const asm = plan('bad_asm_subprogram', 'call_asm');
    expect(asm.missingExtInfo).toEqual({ kind: 'func', subprogram: 'ret_two' });
    try {
      requireExtInfo(asm, 'bad_asm_subprogram.el.o');
      expect.unreachable();
    } catch (error) {
      expect(RelocError.is(error) && error.code).toBe('bad-ext');
      expect(RelocError.is(error) && error.context).toMatchObject({ program: 'call_asm', symbol: 'ret_two' });
    }
  });
});

describe('func and line info encoded for BPF_PROG_LOAD', () => {
  it('hold the records funcInfoOf and lineInfoOf read, field by field, in either byte order', () => {
    const p = plan('globals_subprogs', 'entry');
    const funcs = funcInfoOf(p.instructions);
    const lines = lineInfoOf(p.instructions);
    for (const le of [true, false]) {
      const func = encodeFuncInfo(p.instructions, le);
      const line = encodeLineInfo(p.instructions, le);
      expect([func.count, func.bytes.length, line.count, line.bytes.length]).toEqual([
        funcs.length,
        funcs.length * 8,
        lines.length,
        lines.length * 16,
      ]);
      const f = new DataView(func.bytes.buffer);
      expect(funcs.map((_, i) => [f.getUint32(i * 8, le), f.getUint32(i * 8 + 4, le)])).toEqual(
        funcs.map((r) => [r.insn, r.typeId]),
      );
      const l = new DataView(line.bytes.buffer);
      expect(lines.map((_, i) => [0, 4, 8, 12].map((field) => l.getUint32(i * 16 + field, le)))).toEqual(
        lines.map((r) => [r.insn, r.fileNameOffset, r.sourceOffset, ((r.line << 10) | r.column) >>> 0]),
      );
    }
  });

  it('are empty for a program whose instructions carry none', () => {
    const whole = plan('globals_subprogs', 'entry');
    const p = plan('globals_subprogs', 'entry', (ext) =>
      without('lineInfo', whole.section)(without('funcInfo', whole.section)(ext)),
    );
    expect(encodeFuncInfo(p.instructions, true)).toEqual({ bytes: new Uint8Array(0), count: 0 });
    expect(encodeLineInfo(p.instructions, true)).toEqual({ bytes: new Uint8Array(0), count: 0 });
  });
});
