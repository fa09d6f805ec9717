import { spawnSync } from 'node:child_process';
import { BtfBuilder, parseBtf, readObjectBtf } from '@bpfkit/btf';
import { parseElf } from '@bpfkit/elf';
import { readFixture } from '@bpfkit/fixtures';
import { resolveMaps } from '@bpfkit/maps';
import { describe, expect, it } from 'vitest';
import {
  type InstructionPatch,
  type KsymSource,
  ksymReferencesOf,
  type ProgramPlan,
  planPrograms,
  RelocError,
  resolveKsyms,
  writeInstructions,
} from '../src/index.js';
import { parseKallsyms } from '../src/node.js';

const elf = parseElf(readFixture('ksyms'), { name: 'ksyms.el.o' });
const btf = readObjectBtf(elf)?.btf;
const plan = () => {
  const [program] = planPrograms(elf, resolveMaps(elf, btf));
  if (program === undefined) throw new Error('no program');
  return program;
};

/** A stand-in kernel: BTF with the two kfuncs and `bpfkit_missing_variable` (typed), and one address. */
function kernel(options: { withoutLock?: boolean; lockTakesInt?: boolean } = {}): KsymSource {
  const b = new BtfBuilder();
  const int = b.add({ kind: 'int', name: 'int', size: 4, bits: 32, bitOffset: 0, encoding: 1 });
  const proto = b.add({ kind: 'func_proto', name: '', returnType: 0, params: [] });
  const lockProto = options.lockTakesInt
    ? b.add({ kind: 'func_proto', name: '', returnType: int, params: [{ name: 'how', type: int }] })
    : proto;
  if (!options.withoutLock) b.add({ kind: 'func', name: 'bpf_rcu_read_lock', type: lockProto, linkage: 0 });
  b.add({ kind: 'func', name: 'bpf_rcu_read_unlock', type: proto, linkage: 0 });
  b.add({ kind: 'var', name: 'bpfkit_missing_variable', type: int, linkage: 1 });
  const addresses = new Map([['_stext', 0xffffffff81000000n]]);
  return { btf: parseBtf(b.encode()), address: (name) => addresses.get(name) };
}

/** The program's instructions as its load writes them with `decisions`, by index. */
const written = (program: ProgramPlan, decisions: readonly InstructionPatch[]) => {
  const { instructions } = writeInstructions(program.instructions, () => 100, { patches: [decisions] });
  return (i: number) => instructions[i] ?? expect.unreachable(`no instruction ${i}`);
};

describe('__ksym externs', () => {
  it('are found where the program calls or loads them, with their weak flag', () => {
    expect(ksymReferencesOf(plan().instructions).map((k) => [k.insn, k.kind, k.name, k.weak])).toEqual([
      [0, 'kfunc', 'bpf_rcu_read_lock', false],
      [3, 'variable', '_stext', false],
      [6, 'kfunc', 'bpf_rcu_read_unlock', false],
      [9, 'variable', 'bpfkit_missing_variable', true],
      [14, 'variable', 'bpfkit_missing_symbol', true],
    ]);
  });

  it('resolve kfuncs to BTF ids, untyped symbols to addresses, typed ones to BTF ids, missing weak ones to 0', () => {
    const program = plan();
    const compiled = structuredClone(program.instructions);
    const source = kernel();
    const decisions = resolveKsyms(program, btf, source);
    // Decided, not written: the plan keeps the compiled instructions; the load writes the decisions.
    expect(program.instructions).toEqual(compiled);
    const insn = written(program, decisions);
    expect(decisions.map((d) => [d.name, d.resolution])).toEqual([
      ['bpf_rcu_read_lock', 'kfunc'],
      ['_stext', 'address'],
      ['bpf_rcu_read_unlock', 'kfunc'],
      ['bpfkit_missing_variable', 'btf-id'],
      ['bpfkit_missing_symbol', 'missing'],
    ]);
    expect(insn(0)).toMatchObject({ src: 2, imm: source.btf.byName('bpf_rcu_read_lock')?.id, off: 0 });
    expect([insn(3).src, insn(3).imm >>> 0, insn(4).imm >>> 0]).toEqual([0, 0x81000000, 0xffffffff]);
    expect(insn(9)).toMatchObject({ src: 3, imm: source.btf.byName('bpfkit_missing_variable')?.id });
    expect([insn(14).src, insn(14).imm, insn(15).imm]).toEqual([0, 0, 0]);
    expect(decisions[1]?.value).toBe(0xffffffff81000000n);
  });

  it('that are not weak and missing from the kernel fail, naming program, instruction and symbol', () => {
    const error = (() => {
      try {
        resolveKsyms(plan(), btf, kernel({ withoutLock: true }));
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(RelocError);
    expect(error).toMatchObject({
      code: 'unresolved-extern',
      context: { program: 'use_ksyms', insn: 0, symbol: 'bpf_rcu_read_lock' },
    });
    expect((error as Error).message).toContain('declare it __weak');
  });

  it("that are not weak and declared with another prototype than the kernel's fail with both prototypes, not as missing", () => {
    const error = (() => {
      try {
        resolveKsyms(plan(), btf, kernel({ lockTakesInt: true }));
      } catch (e) {
        return e;
      }
    })();
    expect(RelocError.is(error)).toBe(true);
    expect(error).toMatchObject({
      code: 'kfunc-mismatch',
      context: {
        program: 'use_ksyms',
        insn: 0,
        symbol: 'bpf_rcu_read_lock',
        expected: 'int bpf_rcu_read_lock(int)',
        actual: 'void bpf_rcu_read_lock(void)',
      },
    });
    const message = (error as RelocError).message;
    expect(message).toContain(
      "kfunc 'bpf_rcu_read_lock' is declared with a prototype that does not match the one in vmlinux (expected int bpf_rcu_read_lock(int), got void bpf_rcu_read_lock(void))",
    );
    expect(message).not.toContain('has no kfunc');
    expect((error as RelocError).hint).toContain('__weak');
  });

  it('missing only because /proc/kallsyms hides addresses say so instead of blaming the kernel', () => {
    const hidden: KsymSource = { ...kernel(), address: () => undefined, addressesHidden: () => true };
    const error = (() => {
      try {
        resolveKsyms(plan(), btf, hidden);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toMatchObject({ code: 'unresolved-extern', context: { program: 'use_ksyms', symbol: '_stext' } });
    expect((error as Error).message).toContain(
      "the address of '_stext' cannot be read: /proc/kallsyms shows this user only zero addresses",
    );
  });

  // Reading as another user needs root to switch to it.
  it.skipIf(process.geteuid?.() !== 0)(
    'see /proc/kallsyms as hidden when another user reads it, and not when root does',
    () => {
      const read = (uid?: number) =>
        spawnSync('cat', ['/proc/kallsyms'], {
          encoding: 'utf8',
          maxBuffer: 1 << 28,
          ...(uid === undefined ? {} : { uid }),
        }).stdout;
      const asRoot = parseKallsyms(read());
      expect(asRoot.addresses.get('_stext')).toBeGreaterThan(0n);
      expect(asRoot.hidden).toBe(false);
      const asNobody = parseKallsyms(read(65534));
      expect(asNobody.addresses.size).toBeGreaterThan(1000);
      expect(asNobody.hidden).toBe(true);
    },
  );

  it('found only in a module resolve against its BTF: kfunc calls by fd_array index, variables by BTF fd', () => {
    const base = kernel({ withoutLock: true });
    // A module (split on that kernel) with the lock kfunc and a variable vmlinux also has.
    const m = new BtfBuilder(base.btf);
    const proto = m.add({ kind: 'func_proto', name: '', returnType: 0, params: [] });
    const lock = m.add({ kind: 'func', name: 'bpf_rcu_read_lock', type: proto, linkage: 0 });
    m.add({ kind: 'var', name: 'bpfkit_missing_variable', type: 1, linkage: 1 });
    const module = parseBtf(m.encode(), { base: base.btf, name: '/sys/kernel/btf/bpfkit_mod' });
    const handles: string[] = [];
    const program = plan();
    const decisions = resolveKsyms(program, btf, {
      ...base,
      modules: () => [module],
      moduleHandle: (btf) => {
        handles.push(btf.name ?? '');
        return { fdArrayIndex: 1, fd: 42 };
      },
    });
    const insn = written(program, decisions);
    expect(decisions[0]).toMatchObject({ name: 'bpf_rcu_read_lock', resolution: 'kfunc', module: 'bpfkit_mod' });
    expect(insn(0)).toMatchObject({ src: 2, imm: lock, off: 1 });
    // vmlinux has the variable: the module's copy is not used, and the high half stays 0.
    expect(decisions[3]).toMatchObject({ name: 'bpfkit_missing_variable', resolution: 'btf-id' });
    expect(decisions[3]?.module).toBeUndefined();
    expect([insn(9).src, insn(10).imm]).toEqual([3, 0]);
    expect(handles).toEqual(['/sys/kernel/btf/bpfkit_mod']);
  });

  it('typed variables found in a module carry its BTF fd in the high half', () => {
    const b = new BtfBuilder();
    b.add({ kind: 'int', name: 'int', size: 4, bits: 32, bitOffset: 0, encoding: 1 });
    const proto = b.add({ kind: 'func_proto', name: '', returnType: 0, params: [] });
    b.add({ kind: 'func', name: 'bpf_rcu_read_lock', type: proto, linkage: 0 });
    b.add({ kind: 'func', name: 'bpf_rcu_read_unlock', type: proto, linkage: 0 });
    const vmlinux = parseBtf(b.encode());
    const m = new BtfBuilder(vmlinux);
    const variable = m.add({ kind: 'var', name: 'bpfkit_missing_variable', type: 1, linkage: 1 });
    const module = parseBtf(m.encode(), { base: vmlinux, name: 'bpfkit_mod' });
    const program = plan();
    const decisions = resolveKsyms(program, btf, {
      btf: vmlinux,
      address: (name) => (name === '_stext' ? 1n : undefined),
      modules: () => [module],
      moduleHandle: () => ({ fdArrayIndex: 3, fd: 42 }),
    });
    expect(decisions[3]).toMatchObject({ resolution: 'btf-id', value: BigInt(variable), module: 'bpfkit_mod' });
    const insn = written(program, decisions);
    expect([insn(9).src, insn(9).imm, insn(10).imm]).toEqual([3, variable, 42]);
  });
});
