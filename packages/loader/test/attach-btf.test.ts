import { fixture } from '@bpfkit/fixtures';
import { type BpfBackend, btfInfo, getBackend, objectFdById, setBackend } from '@bpfkit/syscall';
import { describe, expect, it } from 'vitest';
import { BpfObject, LoadError } from '../src/index.js';
import { loadedProgramBtf, runningKernelBtf } from '../src/kernel-btf.js';
import { bpfUnavailable, openFdCount } from './kernel.js';

const unavailable = bpfUnavailable();

/** The name of the kernel BTF object with id `id`. */
function btfObjectName(id: number): string | undefined {
  const fd = objectFdById('btf', id);
  try {
    return fd === undefined ? undefined : btfInfo(fd.fd).name;
  } finally {
    fd?.close();
  }
}

/** A backend that keeps a copy of every BPF_PROG_LOAD attribute block sent. */
function recordingLoads(real: BpfBackend) {
  const loads: DataView[] = [];
  return {
    loads,
    backend: {
      ...real,
      bpf(command: number, attr: Uint8Array, size: number) {
        if (command === 5) loads.push(new DataView(attr.slice(0, size).buffer));
        return real.bpf(command, attr, size);
      },
    },
  };
}

describe.skipIf(unavailable !== undefined)('BTF attach targets resolved at load', () => {
  it('tp_btf and iter programs load with the ids of btf_trace_<name> and bpf_iter_<name> in vmlinux', () => {
    using object = BpfObject.open(fixture('tracing_btf').path);
    object.load();
    const kernel = runningKernelBtf();
    const tracepoint = object.program('on_switch').info();
    const iterator = object.program('count_tasks').info();
    expect(tracepoint.attachBtfId).toBe(kernel.byName('btf_trace_sched_switch', 'typedef')?.id);
    expect(iterator.attachBtfId).toBe(kernel.byName('bpf_iter_task', 'func')?.id);
    expect(btfObjectName(tracepoint.attachBtfObjectId)).toBe('vmlinux');
  });

  it('follow an attach target set before load (vmlinux:name names the kernel BTF alone)', () => {
    using object = BpfObject.open(fixture('tracing_btf').path);
    const plan = object.programs.find((p) => p.name === 'on_switch');
    if (plan === undefined) throw new Error('no on_switch');
    plan.attachTarget = 'vmlinux:sched_wakeup';
    object.load();
    expect(object.program('on_switch').info().attachBtfId).toBe(
      runningKernelBtf().byName('btf_trace_sched_wakeup', 'typedef')?.id,
    );
  });

  it('fail with the BTF name looked for when the kernel has no such target, leaving nothing open', () => {
    const before = openFdCount();
    const object = BpfObject.open(fixture('tracing_btf').path);
    const plan = object.programs.find((p) => p.name === 'on_switch');
    if (plan === undefined) throw new Error('no on_switch');
    plan.attachTarget = 'bpfkit_no_such_tracepoint';
    try {
      object.load();
      expect.unreachable();
    } catch (error) {
      expect(LoadError.is(error) && error.step).toBe('load-program');
      expect(LoadError.is(error) && error.context).toMatchObject({ program: 'on_switch' });
      expect((error as Error).message).toContain("has no typedef 'btf_trace_bpfkit_no_such_tracepoint'");
    }
    object.close();
    expect(openFdCount()).toBe(before);
  });

  it('freplace: the target program fd and the id of the replaced function in its BTF', () => {
    using target = BpfObject.open(fixture('freplace').path);
    target.load();
    const targetFd = target.program('filter').fd;
    using ext = BpfObject.open(fixture('freplace').path);
    for (const plan of ext.programs) plan.autoload = plan.name === 'keep_all';
    const plan = ext.programs.find((p) => p.name === 'keep_all');
    if (plan === undefined) throw new Error('no keep_all');
    plan.attachProgramFd = targetFd;
    const real = getBackend();
    const recorder = recordingLoads(real);
    setBackend(recorder.backend);
    try {
      ext.load();
    } catch (error) {
      // This kernel refuses EXT programs with EPERM before the verifier (no trampolines), as for libbpf.
      expect((error as Error).message).toContain('EPERM');
    } finally {
      setBackend(real);
    }
    const load = recorder.loads.at(-1);
    expect(load?.getUint32(0, true)).toBe(28); // BPF_PROG_TYPE_EXT
    expect(load?.getUint32(112, true)).toBe(targetFd);
    expect(load?.getUint32(108, true)).toBe(loadedProgramBtf(targetFd)?.byName('verdict', 'func')?.id);
  });

  it('freplace without a target program fails before any load, saying what to set', () => {
    using object = BpfObject.open(fixture('freplace').path);
    for (const plan of object.programs) plan.autoload = plan.name === 'keep_all';
    expect(() => object.load()).toThrow(/set its attachProgramFd/);
  });
});
