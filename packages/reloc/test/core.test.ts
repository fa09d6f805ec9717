import {
  type Btf,
  BtfBuilder,
  type BtfComposite,
  type BtfEnum,
  CoreReloKind,
  parseBtf,
  readObjectBtf,
  resolveType,
} from '@bpfkit/btf';
import { readKernelBtf } from '@bpfkit/btf/node';
import { parseElf } from '@bpfkit/elf';
import { readFixture } from '@bpfkit/fixtures';
import { resolveMaps } from '@bpfkit/maps';
import { describe, expect, it } from 'vitest';
import { typesCompatible, typesMatch } from '../src/core/compat.js';
import {
  CORE_POISON,
  type CoreFixup,
  type CoreTargets,
  coreRelocationsOf,
  InsnSize,
  type ProgramPlan,
  planPrograms,
  RelocError,
  readCodeSections,
  relocateCore,
  writeInstructions,
} from '../src/index.js';

/** An object's BTF and plans, from a fixture. */
function open(name: string) {
  const elf = parseElf(readFixture(name), { name: `${name}.el.o` });
  const object = readObjectBtf(elf);
  if (object === undefined) throw new Error('no BTF');
  const plans = planPrograms(elf, resolveMaps(elf, object.btf), object.ext ? { ext: object.ext } : {});
  const relocate = (targets: CoreTargets, programs: readonly ProgramPlan[] = plans) =>
    relocateCore(programs, { btf: object.btf, targets, littleEndian: true, object: `${name}.el.o` });
  return { elf, object, plans, relocate };
}

const core = open('core');
const cases = open('core_cases');
const kernel = readKernelBtf();

/** The fix-up of the relocation of `kind` whose local spec matches `local`. */
const fixupIn = (fixups: readonly CoreFixup[] | undefined, kind: number, local: RegExp) => {
  const found = fixups?.find((f) => f.kind === kind && local.test(f.local));
  if (found === undefined) throw new Error(`no ${kind} fix-up for ${local}`);
  return found;
};

/** Byte offset of `name` in a kernel composite, searching anonymous members as C does. */
function offsetIn(btf: Btf, id: number, name: string): number | undefined {
  const t = resolveType(btf, id) as BtfComposite;
  for (const m of t.members) {
    if (m.name === name) return m.bitOffset / 8;
    if (m.name === '' && ['struct', 'union'].includes(resolveType(btf, m.type).kind)) {
      const inner = offsetIn(btf, m.type, name);
      if (inner !== undefined) return m.bitOffset / 8 + inner;
    }
  }
  return undefined;
}

const kernelStruct = (name: string) => kernel.byName(name, 'struct') as BtfComposite;
/** A kernel enumerator's value as libbpf writes it (64-bit two's complement), through typedefs. */
const kernelEnumerator = (type: string, name: string) => {
  const e = resolveType(kernel, (kernel.byName(type) as { id: number }).id) as BtfEnum;
  return BigInt.asUintN(64, BigInt((e.values.find((v) => v.name === name) as { value: number }).value));
};

describe('CO-RE against this machine’s vmlinux', () => {
  const relocated = core.relocate({ kernel }).get('core_values');
  const task = kernelStruct('task_struct');
  const memberOffset = (name: string) => BigInt(offsetIn(kernel, task.id, name) ?? -1);
  const fixup = (kind: number, local: RegExp) => fixupIn(relocated?.fixups, kind, local);

  it('relocates field offsets to where the kernel has the fields', () => {
    expect(fixup(CoreReloKind.FIELD_BYTE_OFFSET, /\.pid /).newValue).toBe(memberOffset('pid'));
    expect(fixup(CoreReloKind.FIELD_BYTE_OFFSET, /\.tgid /).newValue).toBe(memberOffset('tgid'));
    expect(fixup(CoreReloKind.FIELD_BYTE_OFFSET, /\.comm /).newValue).toBe(memberOffset('comm'));
    // Local list_head has prev first; the kernel has next first.
    expect(fixup(CoreReloKind.FIELD_BYTE_OFFSET, /\.tasks\.next/).newValue).toBe(memberOffset('tasks'));
    expect(fixup(CoreReloKind.FIELD_BYTE_OFFSET, /\.tasks\.prev/).newValue).toBe(memberOffset('tasks') + 8n);
  });

  it('answers existence, sizes, types and enumerators', () => {
    expect(fixup(CoreReloKind.FIELD_EXISTS, /no_such_field_xyz/).newValue).toBe(0n);
    expect(fixup(CoreReloKind.TYPE_EXISTS, /no_such_struct___mine/).newValue).toBe(0n);
    expect(fixup(CoreReloKind.TYPE_ID_TARGET, /task_struct___mine/).newValue).toBe(BigInt(task.id));
    expect(fixup(CoreReloKind.ENUMVAL_VALUE, /ARRAY_OF_MAPS___mine/).newValue).toBe(
      kernelEnumerator('bpf_map_type', 'BPF_MAP_TYPE_ARRAY_OF_MAPS'),
    );
    expect(fixup(CoreReloKind.ENUMVAL_EXISTS, /NO_SUCH___mine/).newValue).toBe(0n);
  });

  it('poisons an offset that cannot resolve, with libbpf’s marker, when the load writes the instructions', () => {
    const poisoned = relocated?.fixups.filter((f) => f.poisoned) ?? [];
    expect(poisoned.map((f) => f.local)).toEqual([expect.stringContaining('no_such_field_xyz')]);
    const at = poisoned[0]?.insn ?? -1;
    const plan = core.plans[0] as ProgramPlan;
    const written = writeInstructions(plan.instructions, () => 1, { patches: [relocated?.fixups ?? []] });
    expect(written.instructions[at]).toMatchObject({ code: 0x85, imm: CORE_POISON });
    expect(plan.instructions[at]?.imm).not.toBe(CORE_POISON);
  });
});

describe('CO-RE is recorded at planning and resolved for the programs that load', () => {
  it('plans keep the compiled instructions and list every relocation with its record', () => {
    const [plan] = core.plans;
    const section = [...readCodeSections(core.elf).values()].find((s) => s.section.name === 'socket');
    expect(plan?.instructions.map(({ code, dst, src, off, imm }) => ({ code, dst, src, off, imm }))).toEqual(
      section?.instructions,
    );
    expect(coreRelocationsOf(plan?.instructions ?? []).map((r) => r.relo)).toEqual(
      core.object.ext?.coreRelos.get('socket'),
    );
  });

  it('resolves nothing for a program that does not load, so its failures do not count', () => {
    const bad = open('bad_core_load_size');
    expect(() => bad.relocate({ kernel })).toThrow(/bad_load_size/);
    for (const plan of bad.plans) plan.autoload = plan.name !== 'bad_load_size';
    const relocated = bad.relocate({ kernel });
    expect([...relocated.keys()]).toEqual(['good_len']);
  });
});

describe('CO-RE decisions libbpf makes its own way (core_cases against vmlinux)', () => {
  const relocated = cases.relocate({ kernel });
  const fixup = (program: string, kind: number, local: RegExp) => fixupIn(relocated.get(program)?.fixups, kind, local);

  it('negative enumerators: compiled and kernel values as 64-bit two’s complement', () => {
    expect(fixup('enum_values', CoreReloKind.ENUMVAL_VALUE, /PERF_EVENT_STATE_OFF___mine/).newValue).toBe(
      kernelEnumerator('perf_event_state', 'PERF_EVENT_STATE_OFF'),
    );
    expect(fixup('enum_values', CoreReloKind.ENUMVAL_VALUE, /__NETDEV_TX_MIN___mine/)).toMatchObject({
      oldValue: BigInt.asUintN(64, -2147483648n),
      newValue: kernelEnumerator('netdev_tx', '__NETDEV_TX_MIN'),
    });
  });

  it('enumerators through typedefs, on both sides', () => {
    expect(fixup('enum_values', CoreReloKind.ENUMVAL_VALUE, /SS_CONNECTED___mine/)).toMatchObject({
      newValue: kernelEnumerator('socket_state', 'SS_CONNECTED'),
      target: expect.stringContaining('typedef socket_state::SS_CONNECTED'),
    });
    expect(fixup('enum_values', CoreReloKind.ENUMVAL_VALUE, /NETDEV_TX_BUSY___mine/).newValue).toBe(
      kernelEnumerator('netdev_tx', 'NETDEV_TX_BUSY'),
    );
    expect(fixup('enum_values', CoreReloKind.ENUMVAL_EXISTS, /SS_NO_SUCH___mine/).newValue).toBe(0n);
    expect(fixup('enum_values', CoreReloKind.TYPE_SIZE, /netdev_tx_t___mine/).newValue).toBe(4n);
  });

  it('anonymous local members: fields found by name, wherever either side nests them', () => {
    const skb = kernelStruct('sk_buff');
    for (const name of ['data_len', 'next', 'len']) {
      expect(fixup('anon_members', CoreReloKind.FIELD_BYTE_OFFSET, new RegExp(`\\.${name} `)).newValue).toBe(
        BigInt(offsetIn(kernel, skb.id, name) ?? -1),
      );
    }
    expect(fixup('anon_members', CoreReloKind.FIELD_EXISTS, /\.data_len /).newValue).toBe(1n);
  });

  it('load sizes: resized from the local to the target field size, left alone when those agree', () => {
    const plan = cases.plans.find((p) => p.name === 'load_sizes') as ProgramPlan;
    const program = writeInstructions(plan.instructions, () => 1, {
      patches: [relocated.get('load_sizes')?.fixups ?? []],
    });
    const wide = fixup('load_sizes', CoreReloKind.FIELD_BYTE_OFFSET, /__sk_buff___wide\.len/);
    expect(wide).toMatchObject({ oldSize: 8, newSize: 4, resizeUnsafe: false });
    expect((program?.instructions[wide.insn]?.code ?? 0) & 0x18).toBe(InsnSize.W);
    const mark = fixup('load_sizes', CoreReloKind.FIELD_BYTE_OFFSET, /\.mark /);
    expect(mark).toMatchObject({ oldSize: 4, newSize: 4 });
    expect((program?.instructions[mark.insn]?.code ?? 0) & 0x18).toBe(InsnSize.H);
  });

  it('refuses to resize a load that is not of the local field’s size', () => {
    const bad = open('bad_core_load_size');
    try {
      bad.relocate({ kernel });
      expect.unreachable();
    } catch (error) {
      expect(RelocError.is(error) && error.code).toBe('bad-instruction');
      expect((error as RelocError).context).toMatchObject({ program: 'bad_load_size', insn: 0 });
      expect((error as RelocError).problem).toMatch(/2 bytes wide but the local field is 8/);
    }
  });

  it('TYPE_MATCHES: kind and name behind pointers, enum sizes, names below the root', () => {
    const matches = (local: RegExp) => fixup('type_matches', CoreReloKind.TYPE_MATCHES, local).newValue;
    expect(matches(/task_struct___mine/)).toBe(1n);
    expect(matches(/perf_event_state___small/)).toBe(0n);
    expect(matches(/perf_event_state___mine/)).toBe(1n);
    expect(matches(/kref___mine/)).toBe(1n);
    expect(matches(/kref___renamed/)).toBe(0n);
  });
});

describe('CO-RE candidates', () => {
  /** A target with flavors of task_struct: pid at the given bit, and comm of the given length (0: none). */
  function target(flavors: readonly { name: string; pid: number; tgid?: number; comm?: number }[]) {
    const b = new BtfBuilder();
    const int = b.add({ kind: 'int', name: 'int', size: 4, bits: 32, bitOffset: 0, encoding: 1 });
    const char = b.add({ kind: 'int', name: 'char', size: 1, bits: 8, bitOffset: 0, encoding: 1 });
    for (const f of flavors) {
      const members = [{ name: 'pid', type: int, bitOffset: f.pid, bitfieldSize: 0 }];
      if (f.tgid !== undefined) members.push({ name: 'tgid', type: int, bitOffset: f.tgid, bitfieldSize: 0 });
      if (f.comm !== undefined) {
        const comm = b.add({ kind: 'array', name: '', type: char, indexType: int, length: f.comm });
        members.push({ name: 'comm', type: comm, bitOffset: 64, bitfieldSize: 0 });
      }
      b.add({ kind: 'struct', name: f.name, size: 64, bitfieldEncoding: false, members });
    }
    return parseBtf(b.encode(), { name: 'flavors' });
  }

  const failure = (run: () => unknown): RelocError => {
    try {
      run();
    } catch (error) {
      if (RelocError.is(error)) return error;
      throw error;
    }
    throw new Error('no error');
  };

  it('must agree on the field offset, or the relocation fails', () => {
    const error = failure(() =>
      core.relocate({
        kernel: target([
          { name: 'task_struct', pid: 0 },
          { name: 'task_struct___v2', pid: 64 },
        ]),
      }),
    );
    expect(error.code).toBe('core-ambiguous');
    expect(error.context).toMatchObject({ program: 'core_values', section: 'socket', insn: 0 });
    expect(error.problem).toMatch(
      /field offset ambiguity: .*task_struct___v2\.pid .* at bit 64, .*task_struct\.pid .* at bit 0/,
    );
  });

  it('must agree on the value, or the relocation fails', () => {
    const flavors = [
      { name: 'task_struct', pid: 0, tgid: 32, comm: 16 },
      { name: 'task_struct___v2', pid: 0, tgid: 32, comm: 32 },
    ];
    const error = failure(() => core.relocate({ kernel: target(flavors) }));
    expect(error.problem).toMatch(/relocation decision ambiguity: .*comm.* gives 32, .*comm.* gives 16/);
  });

  it('are pruned to those that matched, for later relocations of the same type (libbpf’s order)', () => {
    // Only the first flavor has tgid: once tgid resolved, comm (sized differently) is not ambiguous.
    const flavors = [
      { name: 'task_struct', pid: 0, tgid: 32, comm: 16 },
      { name: 'task_struct___v2', pid: 0, comm: 32 },
    ];
    const fixups = core.relocate({ kernel: target(flavors) }).get('core_values')?.fixups;
    expect(fixupIn(fixups, CoreReloKind.FIELD_BYTE_SIZE, /\.comm /).newValue).toBe(16n);
  });
});

describe('CO-RE against module BTF', () => {
  /** A bare "vmlinux" (int, char, unsigned int) and, if asked, a task_struct of its own with pid first. */
  function bareKernel(withTaskStruct: boolean) {
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

  it('finds types vmlinux lacks in a module, naming the module', () => {
    const base = bareKernel(false);
    const mod = module(base);
    const fixups = core.relocate({ kernel: base, modules: () => [mod.btf] }).get('core_values')?.fixups;
    expect(fixupIn(fixups, CoreReloKind.FIELD_BYTE_OFFSET, /\.pid /)).toMatchObject({
      newValue: 16n,
      target: expect.stringContaining('in module bpfkit_test_mod'),
    });
    expect(fixupIn(fixups, CoreReloKind.FIELD_BYTE_OFFSET, /\.tasks\.prev/).newValue).toBe(40n + 8n);
    expect(fixupIn(fixups, CoreReloKind.TYPE_ID_TARGET, /task_struct___mine/).newValue).toBe(BigInt(mod.task));
    expect(fixupIn(fixups, CoreReloKind.TYPE_EXISTS, /no_such_struct___mine/).newValue).toBe(0n);
  });

  it('searches modules only for types vmlinux has no candidate for', () => {
    const base = bareKernel(true);
    const mod = module(base);
    let asked = 0;
    const modules = () => {
      asked++;
      return [mod.btf];
    };
    const fixups = core.relocate({ kernel: base, modules }).get('core_values')?.fixups;
    // vmlinux's task_struct wins (pid at 0), though the module's disagrees.
    expect(fixupIn(fixups, CoreReloKind.FIELD_BYTE_OFFSET, /\.pid /)).toMatchObject({
      newValue: 0n,
      target: expect.not.stringContaining('module'),
    });
    // list_head___mine and no_such_struct___mine are not in vmlinux: modules were asked.
    expect(asked).toBeGreaterThan(0);
  });
});

describe('type comparisons on graphs that share subgraphs', () => {
  const LEVELS = 30;

  /**
   * `levels` layers, each a type whose two members (or parameters) are the next layer:
   * 2^levels paths from the root, `levels` distinct types.
   */
  function dag(layer: (b: BtfBuilder, next: number, depth: number) => number, leaf: (b: BtfBuilder) => number) {
    const b = new BtfBuilder();
    let next = leaf(b);
    for (let depth = LEVELS - 1; depth >= 0; depth--) next = layer(b, next, depth);
    return { btf: parseBtf(b.encode(), { name: 'dag' }), root: next };
  }
  const int = (b: BtfBuilder) => b.add({ kind: 'int', name: 'int', size: 4, bits: 32, bitOffset: 0, encoding: 1 });
  const pair = (type: number) => [
    { name: 'a', type, bitOffset: 0, bitfieldSize: 0 },
    { name: 'b', type, bitOffset: 0, bitfieldSize: 0 },
  ];

  it('TYPE_MATCHES through pointers stops at the pointee’s kind and name (a 30-level pointer DAG)', () => {
    const { btf, root } = dag(
      (b, next, depth) => {
        const ptr = b.add({ kind: 'ptr', name: '', type: next });
        return b.add({ kind: 'struct', name: `l${depth}`, size: 16, bitfieldEncoding: false, members: pair(ptr) });
      },
      (b) => b.add({ kind: 'struct', name: 'leaf', size: 4, bitfieldEncoding: false, members: pair(int(b)) }),
    );
    expect(typesMatch(btf, root, btf, root)).toBe(true);
  });

  it('TYPE_MATCHES of nested unions takes one comparison per pair of types, not per path', () => {
    const { btf, root } = dag(
      (b, next, depth) =>
        b.add({ kind: 'union', name: `u${depth}`, size: 4, bitfieldEncoding: false, members: pair(next) }),
      int,
    );
    // 2^30 member comparisons if each path were walked.
    expect(typesMatch(btf, root, btf, root)).toBe(true);
  });

  it('function prototypes whose parameters point to the next layer compare in linear time', () => {
    const { btf, root } = dag((b, next) => {
      const ptr = b.add({ kind: 'ptr', name: '', type: next });
      return b.add({
        kind: 'func_proto',
        name: '',
        returnType: 0,
        params: [
          { name: '', type: ptr },
          { name: '', type: ptr },
        ],
      });
    }, int);
    expect(typesCompatible(btf, root, btf, root)).toBe(true);
    expect(typesMatch(btf, root, btf, root)).toBe(true);
  });
});
