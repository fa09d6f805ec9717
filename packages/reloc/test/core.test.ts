import { BtfBuilder, type BtfComposite, CoreReloKind, parseBtf, readObjectBtf } from '@bpfkit/btf';
import { loadKernelBtf } from '@bpfkit/btf/node';
import { parseElf } from '@bpfkit/elf';
import { readFixture } from '@bpfkit/fixtures';
import { resolveMaps } from '@bpfkit/maps';
import { describe, expect, it } from 'vitest';
import { CORE_POISON, planPrograms, RelocError } from '../src/index.js';

const elf = parseElf(readFixture('core'), { name: 'core.el.o' });
const object = readObjectBtf(elf);
if (object === undefined) throw new Error('no BTF');
const maps = resolveMaps(elf, object.btf);
const plan = (target?: ReturnType<typeof parseBtf>) =>
  planPrograms(elf, maps, {
    ...(object.ext ? { ext: object.ext } : {}),
    btf: object.btf,
    ...(target ? { target } : {}),
  })[0];

describe('CO-RE against this machine’s vmlinux', () => {
  const kernel = loadKernelBtf();
  const program = plan(kernel);
  const task = kernel.byName('task_struct', 'struct') as BtfComposite;
  const memberOffset = (name: string) => (task.members.find((m) => m.name === name)?.bitOffset ?? -8) / 8;
  const decision = (kind: number, local: RegExp) => program?.core.find((d) => d.kind === kind && local.test(d.local));

  it('relocates field offsets to where the kernel has the fields', () => {
    expect(decision(CoreReloKind.FIELD_BYTE_OFFSET, /\.pid /)?.newValue).toBe(BigInt(memberOffset('pid')));
    expect(decision(CoreReloKind.FIELD_BYTE_OFFSET, /\.tgid /)?.newValue).toBe(BigInt(memberOffset('tgid')));
    expect(decision(CoreReloKind.FIELD_BYTE_OFFSET, /\.comm /)?.newValue).toBe(BigInt(memberOffset('comm')));
    // Local list_head has prev first; the kernel has next first.
    expect(decision(CoreReloKind.FIELD_BYTE_OFFSET, /\.tasks\.next/)?.newValue).toBe(BigInt(memberOffset('tasks')));
    expect(decision(CoreReloKind.FIELD_BYTE_OFFSET, /\.tasks\.prev/)?.newValue).toBe(BigInt(memberOffset('tasks') + 8));
  });

  it('answers existence, sizes, types and enumerators', () => {
    expect(decision(CoreReloKind.FIELD_EXISTS, /no_such_field_xyz/)?.newValue).toBe(0n);
    expect(decision(CoreReloKind.TYPE_EXISTS, /no_such_struct___mine/)?.newValue).toBe(0n);
    expect(decision(CoreReloKind.TYPE_ID_TARGET, /task_struct___mine/)?.newValue).toBe(BigInt(task.id));
    expect(decision(CoreReloKind.ENUMVAL_VALUE, /ARRAY_OF_MAPS___mine/)?.newValue).toBe(12n);
    expect(decision(CoreReloKind.ENUMVAL_EXISTS, /NO_SUCH___mine/)?.newValue).toBe(0n);
  });

  it('poisons an offset that cannot resolve, with libbpf’s marker', () => {
    const poisoned = program?.core.filter((d) => d.poisoned) ?? [];
    expect(poisoned.map((d) => d.local)).toEqual([expect.stringContaining('no_such_field_xyz')]);
    expect(program?.instructions[poisoned[0]?.insn ?? -1]).toMatchObject({ code: 0x85, imm: CORE_POISON });
  });
});

describe('CO-RE without a target', () => {
  it('leaves the relocations pending and the instructions as compiled', () => {
    const pending = plan();
    expect(pending?.core).toEqual([]);
    expect(pending?.pendingCore).toBe(object.ext?.coreRelos.get('socket')?.length);
  });
});

describe('CO-RE candidates', () => {
  /** A target with two flavors of task_struct that put pid at different offsets. */
  function ambiguousTarget() {
    const b = new BtfBuilder();
    const int = b.add({ kind: 'int', name: 'int', size: 4, bits: 32, bitOffset: 0, encoding: 1 });
    for (const [name, at] of [
      ['task_struct', 0],
      ['task_struct___v2', 64],
    ] as const) {
      b.add({
        kind: 'struct',
        name,
        size: 16,
        bitfieldEncoding: false,
        members: [{ name: 'pid', type: int, bitOffset: at, bitfieldSize: 0 }],
      });
    }
    return parseBtf(b.encode(), { name: 'ambiguous' });
  }

  it('must agree, or the relocation fails as ambiguous', () => {
    try {
      plan(ambiguousTarget());
      expect.unreachable();
    } catch (error) {
      expect(RelocError.is(error) && error.code).toBe('core-ambiguous');
      expect((error as RelocError).context).toMatchObject({ section: 'socket', insn: 0 });
      expect((error as RelocError).message).toMatch(
        /candidates disagree: struct task_struct\.pid .* gives 0, struct task_struct___v2\.pid .* gives 8/,
      );
    }
  });
});
