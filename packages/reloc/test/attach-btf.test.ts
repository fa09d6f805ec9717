import { BtfBuilder, parseBtf, readObjectBtf } from '@bpfkit/btf';
import { parseElf } from '@bpfkit/elf';
import { readFixture } from '@bpfkit/fixtures';
import { resolveMaps } from '@bpfkit/maps';
import { AttachType } from '@bpfkit/uapi';
import { describe, expect, it } from 'vitest';
import {
  attachBtfName,
  attachProgramFd,
  attachTarget,
  needsAttachBtf,
  type ProgramPlan,
  planPrograms,
  RelocError,
  resolveAttachBtf,
  resolveAttachProgramBtf,
} from '../src/index.js';

function plans(name: string): ProgramPlan[] {
  const elf = parseElf(readFixture(name), { name: `${name}.el.o` });
  const btf = readObjectBtf(elf)?.btf;
  return planPrograms(elf, resolveMaps(elf, btf));
}

function program(fixture: string, name: string): ProgramPlan {
  const found = plans(fixture).find((p) => p.name === name);
  if (found === undefined) throw new Error(`no program ${name}`);
  return found;
}

describe('freplace attach targets', () => {
  it('attach through a tracing link of attach type 0, the target program and function taken from the load', () => {
    expect(attachTarget(program('freplace', 'keep_all'))).toEqual({ kind: 'tracing', attachType: 0 });
  });
});

/** A stand-in kernel BTF: a tracepoint typedef, an iterator and an LSM hook, plus a same-named struct. */
function kernel() {
  const b = new BtfBuilder();
  const proto = b.add({ kind: 'func_proto', name: '', returnType: 0, params: [] });
  b.add({ kind: 'struct', name: 'bpf_iter_task', size: 0, members: [], bitfieldEncoding: false });
  const ids = {
    tracepoint: b.add({ kind: 'typedef', name: 'btf_trace_sched_switch', type: proto }),
    iterator: b.add({ kind: 'func', name: 'bpf_iter_task', type: proto, linkage: 0 }),
    hook: b.add({ kind: 'func', name: 'bpf_lsm_file_open', type: proto, linkage: 0 }),
    function: b.add({ kind: 'func', name: 'bpf_fentry_test1', type: proto, linkage: 0 }),
  };
  return { btf: parseBtf(b.encode(), { name: '/sys/kernel/btf/vmlinux' }), ids };
}

describe('BTF attach targets', () => {
  it.each([
    [AttachType.TRACE_RAW_TP, 'sched_switch', 'btf_trace_sched_switch', 'typedef'],
    [AttachType.LSM_MAC, 'file_open', 'bpf_lsm_file_open', 'func'],
    [AttachType.LSM_CGROUP, 'socket_bind', 'bpf_lsm_socket_bind', 'func'],
    [AttachType.TRACE_ITER, 'task', 'bpf_iter_task', 'func'],
    [AttachType.TRACE_FENTRY, 'do_unlinkat', 'do_unlinkat', 'func'],
    [AttachType.MODIFY_RETURN, 'bpf_modify_return_test', 'bpf_modify_return_test', 'func'],
    [undefined, 'verdict', 'verdict', 'func'],
  ])('attach type %s, target %s: %s (%s)', (type, target, name, kind) => {
    expect(attachBtfName(type, target)).toEqual({ name, kind, module: undefined });
  });

  it('module:name limits the search to one BTF', () => {
    expect(attachBtfName(AttachType.TRACE_FENTRY, 'nf_tables:nft_do_chain')).toEqual({
      name: 'nft_do_chain',
      kind: 'func',
      module: 'nf_tables',
    });
  });

  it('are needed by tp_btf, fentry/fexit/fmod_ret, lsm, iter and freplace, not by others', () => {
    expect(plans('tracing_btf').map(needsAttachBtf)).toEqual([true, true]);
    expect(needsAttachBtf(program('tracing_lsm', 'on_open'))).toBe(true);
    expect(needsAttachBtf(program('freplace', 'keep_all'))).toBe(true);
    expect(needsAttachBtf(program('freplace', 'filter'))).toBe(false);
  });

  it('resolve in vmlinux by kind and prefix (a struct of the same name is not taken)', () => {
    const { btf, ids } = kernel();
    const [onSwitch, countTasks] = plans('tracing_btf') as [ProgramPlan, ProgramPlan];
    expect(resolveAttachBtf(onSwitch, { kernel: btf })).toEqual({ id: ids.tracepoint, module: undefined });
    expect(resolveAttachBtf(countTasks, { kernel: btf })).toEqual({ id: ids.iterator, module: undefined });
    expect(resolveAttachBtf(program('tracing_lsm', 'on_open'), { kernel: btf }).id).toBe(ids.hook);
    expect(resolveAttachBtf(program('tracing_fentry', 'on_entry'), { kernel: btf }).id).toBe(ids.function);
  });

  it('resolve in the first module BTF that defines the target when vmlinux lacks it, or in the one named', () => {
    const { btf } = kernel();
    const module = (name: string) => {
      const m = new BtfBuilder(btf);
      const proto = m.add({ kind: 'func_proto', name: '', returnType: 0, params: [] });
      const id = m.add({ kind: 'func', name: 'bpfkit_mod_fn', type: proto, linkage: 0 });
      return { id, btf: parseBtf(m.encode(), { base: btf, name: `/sys/kernel/btf/${name}` }) };
    };
    const [first, second] = [module('mod_a'), module('mod_b')];
    const plan = program('tracing_fentry', 'on_entry');
    plan.attachTarget = 'bpfkit_mod_fn';
    const source = { kernel: btf, modules: () => [first.btf, second.btf] };
    expect(resolveAttachBtf(plan, source)).toEqual({ id: first.id, module: first.btf });
    plan.attachTarget = 'mod_b:bpfkit_mod_fn';
    expect(resolveAttachBtf(plan, source)).toEqual({ id: second.id, module: second.btf });
    plan.attachTarget = 'vmlinux:bpfkit_mod_fn';
    expect(() => resolveAttachBtf(plan, source)).toThrow(/has no func 'bpfkit_mod_fn' in 'vmlinux'/);
  });

  it('fail naming the program and the type looked for, or asking for a target', () => {
    const { btf } = kernel();
    const plan = program('tracing_lsm', 'on_open');
    plan.attachTarget = 'no_such_hook';
    try {
      resolveAttachBtf(plan, { kernel: btf }, 'tracing_lsm.el.o');
      expect.unreachable();
    } catch (error) {
      expect(RelocError.is(error) && error.code).toBe('not-found');
      expect(RelocError.is(error) && error.context).toMatchObject({
        object: 'tracing_lsm.el.o',
        program: 'on_open',
        symbol: 'bpf_lsm_no_such_hook',
      });
    }
    plan.attachTarget = '';
    expect(() => resolveAttachBtf(plan, { kernel: btf })).toThrow(
      /names no attach target; set the program's attachTarget/,
    );
  });

  it('of freplace programs are a function of the target program, whose fd is required', () => {
    const plan = program('freplace', 'keep_all');
    expect(() => attachProgramFd(plan)).toThrow(/set its attachProgramFd/);
    expect(attachProgramFd(program('tracing_fentry', 'on_entry'))).toBeUndefined();
    plan.attachProgramFd = 7;
    expect(attachProgramFd(plan)).toBe(7);
    const elf = parseElf(readFixture('freplace'));
    const own = readObjectBtf(elf)?.btf;
    expect(resolveAttachProgramBtf(plan, own)).toBe(own?.byName('verdict', 'func')?.id);
    expect(() => resolveAttachProgramBtf(plan, undefined)).toThrow(/loaded without BTF/);
    plan.attachTarget = 'nothing_here';
    expect(() => resolveAttachProgramBtf(plan, own)).toThrow(/has no function 'nothing_here'/);
  });
});
