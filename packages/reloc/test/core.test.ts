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

describe('CO-RE against module BTF', () => {
  /** A bare "vmlinux" (int, char, unsigned int) and, if asked, a task_struct of its own with pid first. */
  function kernel(withTaskStruct: boolean) {
    const b = new BtfBuilder();
    const int = b.add({ kind: 'int', name: 'int', size: 4, bits: 32, bitOffset: 0, encoding: 1 });
    b.add({ kind: 'int', name: 'char', size: 1, bits: 8, bitOffset: 0, encoding: 2 });
    b.add({ kind: 'int', name: 'unsigned int', size: 4, bits: 32, bitOffset: 0, encoding: 0 });
    if (withTaskStruct) {
      b.add({
        kind: 'struct',
        name: 'task_struct',
        size: 4,
        bitfieldEncoding: false,
        members: [{ name: 'pid', type: int, bitOffset: 0, bitfieldSize: 0 }],
      });
    }
    return parseBtf(b.encode(), { name: '/sys/kernel/btf/vmlinux' });
  }

  /** A module (split on `base`) whose task_struct puts pid at byte 16, and a list_head. */
  function module(base: ReturnType<typeof parseBtf>) {
    const [int, char, uint] = [1, 2, 3];
    const m = new BtfBuilder(base);
    const listHead = base.typeCount;
    const listPtr = listHead + 1;
    m.add({
      kind: 'struct',
      name: 'list_head',
      size: 16,
      bitfieldEncoding: false,
      members: [
        { name: 'next', type: listPtr, bitOffset: 0, bitfieldSize: 0 },
        { name: 'prev', type: listPtr, bitOffset: 64, bitfieldSize: 0 },
      ],
    });
    m.add({ kind: 'ptr', name: '', type: listHead });
    const comm = m.add({ kind: 'array', name: '', type: char, indexType: int, length: 16 });
    const task = m.add({
      kind: 'struct',
      name: 'task_struct',
      size: 64,
      bitfieldEncoding: true,
      members: [
        { name: 'pid', type: int, bitOffset: 128, bitfieldSize: 0 },
        { name: 'tgid', type: int, bitOffset: 160, bitfieldSize: 0 },
        { name: 'comm', type: comm, bitOffset: 192, bitfieldSize: 0 },
        { name: 'tasks', type: listHead, bitOffset: 320, bitfieldSize: 0 },
        { name: 'sched_reset_on_fork', type: uint, bitOffset: 448, bitfieldSize: 1 },
      ],
    });
    return { btf: parseBtf(m.encode(), { base, name: '/sys/kernel/btf/bpfkit_test_mod' }), task };
  }

  const planAgainst = (target: ReturnType<typeof parseBtf>, modules: () => readonly ReturnType<typeof parseBtf>[]) =>
    planPrograms(elf, maps, { ...(object.ext ? { ext: object.ext } : {}), btf: object.btf, target, modules })[0];

  it('finds types vmlinux lacks in a module, naming the module', () => {
    const base = kernel(false);
    const mod = module(base);
    const program = planAgainst(base, () => [mod.btf]);
    const decision = (kind: number, local: RegExp) => program?.core.find((d) => d.kind === kind && local.test(d.local));
    expect(decision(CoreReloKind.FIELD_BYTE_OFFSET, /\.pid /)).toMatchObject({
      newValue: 16n,
      target: expect.stringContaining('in module bpfkit_test_mod'),
    });
    expect(decision(CoreReloKind.FIELD_BYTE_OFFSET, /\.tasks\.prev/)?.newValue).toBe(40n + 8n);
    expect(decision(CoreReloKind.TYPE_ID_TARGET, /task_struct___mine/)?.newValue).toBe(BigInt(mod.task));
    expect(decision(CoreReloKind.TYPE_EXISTS, /no_such_struct___mine/)?.newValue).toBe(0n);
  });

  it('searches modules only for types vmlinux has no candidate for', () => {
    const base = kernel(true);
    const mod = module(base);
    let asked = 0;
    const program = planAgainst(base, () => {
      asked++;
      return [mod.btf];
    });
    const pid = program?.core.find((d) => d.kind === CoreReloKind.FIELD_BYTE_OFFSET && /\.pid /.test(d.local));
    // vmlinux's task_struct wins (pid at 0), though the module's disagrees.
    expect(pid).toMatchObject({ newValue: 0n, target: expect.not.stringContaining('module') });
    // list_head___mine and no_such_struct___mine are not in vmlinux: modules were asked.
    expect(asked).toBeGreaterThan(0);
  });
});
