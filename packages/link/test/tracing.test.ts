import { existsSync } from 'node:fs';
import { fixture } from '@bpfkit/fixtures';
import { BpfObject } from '@bpfkit/loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bpfUnavailable, openFdCount } from '../../loader/test/kernel.js';
import {
  attachIterator,
  attachKprobe,
  attachKprobeMulti,
  attachKsyscall,
  attachRawTracepoint,
  attachTracepoint,
  attachTracing,
  LinkError,
  mountTracefs,
  syscallFunction,
  traceableFunctions,
  tracefsRoot,
} from '../src/index.js';

const unavailable = bpfUnavailable();
/** `BPF_TRACE_RAW_TP`: the attach type of tp_btf programs. */
const TRACE_RAW_TP = 23;

describe.skipIf(unavailable !== undefined)('tracepoints, BTF tracing, iterators and kprobes by program fd', () => {
  let obj: BpfObject;
  let attach: BpfObject;
  let fdsBefore = 0;
  const hits = () => (obj.map('.bss').get(0) as { hits: bigint[] }).hits.map(Number);
  const counter = (name: string) => Number((attach.map('.bss').get(0) as Record<string, bigint>)[name]);

  beforeAll(() => {
    fdsBefore = openFdCount();
    obj = BpfObject.open(fixture('link_kinds').path);
    obj.load();
    attach = BpfObject.open(fixture('attach').path);
    attach.load();
  });
  afterAll(() => {
    obj.close();
    attach.close();
    expect(openFdCount()).toBe(fdsBefore);
  });

  it('a tracepoint by category and name, found in the mounted tracefs', () => {
    expect(existsSync(`${tracefsRoot('test')}/events/syscalls`)).toBe(true);
    expect(mountTracefs()).toBe(tracefsRoot('test'));
    const before = counter('tracepoint_hits');
    using link = attachTracepoint(attach.program('count_kill').fd, 'syscalls', 'sys_enter_kill');
    for (let i = 0; i < 3; i++) process.kill(process.pid, 0);
    expect(counter('tracepoint_hits')).toBeGreaterThanOrEqual(before + 3);
    expect(link.info().type).toBe(7 /* BPF_LINK_TYPE_PERF_EVENT */);
    expect(() => attachTracepoint(attach.program('count_kill').fd, 'syscalls', 'sys_enter_nothing')).toThrow(
      expect.objectContaining({ code: 'kernel', context: expect.objectContaining({ errno: 'ENOENT' }) }),
    );
  });

  it('a raw tracepoint by name', () => {
    const before = counter('raw_tp_hits');
    using link = attachRawTracepoint(attach.program('count_raw_tp').fd, 'sys_enter');
    for (let i = 0; i < 3; i++) process.kill(process.pid, 0);
    expect(counter('raw_tp_hits')).toBeGreaterThanOrEqual(before + 3);
    expect(link.info().type).toBe(1 /* BPF_LINK_TYPE_RAW_TRACEPOINT */);
  });

  it('a tp_btf program through a tracing link, with its cookie', () => {
    obj.map('.bss').set(0, { hits: Array(8).fill(0n) });
    const link = attachTracing(obj.program('on_tp_btf').fd, TRACE_RAW_TP, { cookie: 6n });
    for (let i = 0; i < 3; i++) process.kill(process.pid, 0);
    link.close();
    const seen = hits()[6] as number;
    expect(seen).toBeGreaterThanOrEqual(3);
    process.kill(process.pid, 0);
    expect(hits()[6]).toBe(seen);
  });

  it('a task iterator over every task, and over one thread given as parameter', () => {
    const fd = obj.program('walk_tasks').fd;
    using all = attachIterator(fd);
    using one = attachIterator(fd, { tid: process.pid });
    expect(all.read().length / 4).toBeGreaterThan(10);
    expect(one.read().length / 4).toBe(1);
  });

  it('kprobes and ksyscalls say this kernel has no kprobes', () => {
    expect(syscallFunction('getppid')).toBe(process.arch === 'x64' ? '__x64_sys_getppid' : expect.any(String));
    const kprobes =
      existsSync('/sys/bus/event_source/devices/kprobe') || existsSync(`${tracefsRoot('test')}/kprobe_events`);
    if (kprobes) return;
    for (const attach of [
      () => attachKprobe(obj.program('on_kprobe').fd, 'do_nanosleep'),
      () => attachKsyscall(obj.program('on_ksyscall').fd, 'getppid'),
    ]) {
      try {
        attach();
        expect.unreachable();
      } catch (error) {
        expect(LinkError.is(error) && error.code).toBe('not-supported');
        expect((error as Error).message).toMatch(/no kprobe PMU .* CONFIG_KPROBES/);
      }
    }
    expect(() => attachKprobe(obj.program('on_kprobe').fd, 'do_nanosleep', { maxactive: 4 })).toThrow(
      /maxactive applies to kretprobes only/,
    );
  });

  it('kprobe.multi resolves its glob to kernel functions; without fprobes the kernel refuses the link', async () => {
    const functions = traceableFunctions('do_nano*');
    expect(functions).toContain('do_nanosleep');
    expect(functions.every((name) => name.startsWith('do_nano'))).toBe(true);
    obj.map('.bss').set(0, { hits: Array(8).fill(0n) });
    let link: ReturnType<typeof attachKprobeMulti>;
    try {
      link = attachKprobeMulti(obj.program('on_kprobe_multi').fd, {
        symbols: ['do_nanosleep'],
        cookies: [2n],
      });
    } catch (error) {
      // This kernel is built without CONFIG_FPROBE: BPF_LINK_CREATE answers EOPNOTSUPP.
      expect(LinkError.is(error) && [error.code, error.context.errno]).toEqual(['not-supported', 'EOPNOTSUPP']);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
    link.close();
    expect(hits()[2]).toBeGreaterThan(0);
  });
});
