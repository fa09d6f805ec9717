import { fixture } from '@bpfkit/fixtures';
import { BpfObject } from '@bpfkit/loader';
import { isLittleEndianHost, onlineCpus, openPerfEvent, PerfType } from '@bpfkit/syscall';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bpfUnavailable, openFdCount } from '../../loader/test/kernel.js';
import {
  attachPerfEvent,
  attachPerfEventPerCpu,
  LinkError,
  openPerfEventPerCpu,
  PerfHardwareEvent,
  PerfSoftwareEvent,
} from '../src/index.js';

const unavailable = bpfUnavailable();

/** Keeps this thread's CPU busy for `ms` milliseconds, so cpu-clock samples land. */
function spin(ms: number): void {
  const end = Date.now() + ms;
  let x = 0;
  while (Date.now() < end) x += Math.sqrt(x + 1);
}

function u32(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value, isLittleEndianHost);
  return bytes;
}

const cpuClock = { type: PerfType.SOFTWARE, config: PerfSoftwareEvent.CPU_CLOCK, sample: { frequency: 1000 } };

describe.skipIf(unavailable !== undefined)('perf_event programs on a perf event per CPU', () => {
  let obj: BpfObject;
  let fdsBefore = 0;
  const state = () => obj.map('.bss').get(0) as Record<string, bigint>;
  const reset = () =>
    obj.map('.bss').set(0, {
      samples: 0n,
      sampled_counter: 0n,
      sampled_enabled: 0n,
      reads: 0n,
      read_failures: 0n,
      read_counter: 0n,
      read_enabled: 0n,
      read_running: 0n,
    });

  beforeAll(() => {
    fdsBefore = openFdCount();
    obj = BpfObject.open(fixture('perf_sampling').path);
    obj.load();
  });
  afterAll(() => {
    obj.close();
    expect(openFdCount()).toBe(fdsBefore);
  });

  it('open one event per online CPU', () => {
    const events = openPerfEventPerCpu(cpuClock);
    try {
      expect(events).toHaveLength(onlineCpus().length);
      expect(new Set(events.map((e) => e.fd)).size).toBe(events.length);
    } finally {
      for (const event of events) event.close();
    }
  });

  it.each([
    ['bpf links', false],
    ['PERF_EVENT_IOC_SET_BPF', true],
  ])('cpu-clock sampling at 1000 Hz runs the program, through %s, until closed', (_, ioctl) => {
    reset();
    const link = attachPerfEventPerCpu(obj.program('count_samples').fd, cpuClock, { ioctl });
    try {
      expect(link.kind).toBe('perf_event');
      if (ioctl) expect(link.fd).toBe(-1);
      else expect(link.info().type).toBe(7 /* BPF_LINK_TYPE_PERF_EVENT */);
      spin(100);
      const first = state().samples as bigint;
      expect(first).toBeGreaterThan(0n);
      spin(100);
      expect(state().samples).toBeGreaterThan(first);
      // bpf_perf_prog_read_value: the sampled cpu-clock's own count (ns) and enabled time.
      expect(state().sampled_counter).toBeGreaterThan(0n);
      expect(state().sampled_enabled).toBeGreaterThan(0n);
    } finally {
      link.close();
    }
    const after = state().samples as bigint;
    spin(50);
    expect(state().samples).toBe(after);
  });

  it('attachPerfEvent links a program to an event the caller opened, which the caller may close first', () => {
    reset();
    const fds = openFdCount();
    // task-clock of this process on any CPU, sampled at 1000 Hz.
    const event = openPerfEvent({
      type: PerfType.SOFTWARE,
      config: PerfSoftwareEvent.TASK_CLOCK,
      pid: 0,
      cpu: -1,
      sampleFrequency: 1000,
    });
    const link = attachPerfEvent(obj.program('count_samples').fd, event.fd);
    try {
      expect([link.kind, link.info().type]).toEqual(['perf_event', 7 /* BPF_LINK_TYPE_PERF_EVENT */]);
      event.close();
      spin(100);
      const first = state().samples as bigint;
      expect(first).toBeGreaterThan(0n);
      expect(state().sampled_counter).toBeGreaterThan(0n);
    } finally {
      link.close();
    }
    const after = state().samples as bigint;
    spin(50);
    expect(state().samples).toBe(after);
    expect(openFdCount()).toBe(fds);
    expect(() => attachPerfEvent(obj.program('count_samples').fd, event.fd)).toThrow(
      expect.objectContaining({
        code: 'kernel',
        context: expect.objectContaining({ kind: 'perf_event', errno: 'EBADF' }),
      }),
    );
  });

  it('a program reads another counter of its CPU through a PERF_EVENT_ARRAY of per-CPU fds', () => {
    reset();
    const cpus = onlineCpus();
    const counting = openPerfEventPerCpu({ type: PerfType.SOFTWARE, config: PerfSoftwareEvent.TASK_CLOCK }, cpus);
    try {
      const array = obj.map('counters');
      cpus.forEach((cpu, i) => {
        array.update(u32(cpu), u32((counting[i] as { fd: number }).fd));
      });
      using _link = attachPerfEventPerCpu(obj.program('read_other_counter').fd, cpuClock);
      spin(150);
      const seen = state();
      expect(seen.read_failures).toBe(0n);
      expect(seen.reads).toBeGreaterThan(0n);
      // task-clock counts nanoseconds of the tasks run on that CPU: it has run, and grown.
      expect(seen.read_counter).toBeGreaterThan(0n);
      expect(seen.read_enabled).toBeGreaterThan(0n);
      expect(seen.read_running).toBeGreaterThan(0n);
      for (const cpu of cpus) array.delete(u32(cpu));
    } finally {
      for (const event of counting) event.close();
    }
  });

  it('an empty PERF_EVENT_ARRAY slot makes the read fail in the program, not the attach', () => {
    reset();
    using _link = attachPerfEventPerCpu(obj.program('read_other_counter').fd, cpuClock);
    spin(100);
    expect(state().reads).toBe(0n);
    expect(state().read_failures).toBeGreaterThan(0n);
  });

  it('hardware events on a machine without a CPU PMU fail as not-supported, leaving nothing open', () => {
    const before = openFdCount();
    const cycles = { type: PerfType.HARDWARE, config: PerfHardwareEvent.CPU_CYCLES, sample: { period: 100000n } };
    let error: unknown;
    let link: { close(): void } | undefined;
    try {
      link = attachPerfEventPerCpu(obj.program('count_samples').fd, cycles);
    } catch (caught) {
      error = caught;
    }
    if (link !== undefined) {
      // A machine with a PMU: cycles are sampled like cpu-clock.
      link.close();
      return;
    }
    expect(LinkError.is(error)).toBe(true);
    expect(error).toMatchObject({
      code: 'not-supported',
      context: { kind: 'perf_event', target: 'hardware cpu_cycles', errno: 'ENOENT' },
    });
    expect((error as LinkError).hint).toMatch(/software event/);
    expect(openFdCount()).toBe(before);
  });

  it('a CPU that does not exist fails with the CPU named, closing the events opened before it', () => {
    const before = openFdCount();
    expect(() => attachPerfEventPerCpu(obj.program('count_samples').fd, cpuClock, { cpus: [0, 4095] })).toThrow(
      /perf_event 'software cpu_clock': open the perf event on cpu 4095: (EINVAL|ENODEV|ENXIO)/,
    );
    expect(openFdCount()).toBe(before);
  });

  it('a program of another type is refused by the kernel, closing every event', () => {
    const before = openFdCount();
    using other = BpfObject.open(fixture('link_kinds').path);
    other.load();
    const fdsLoaded = openFdCount();
    const program = other.programs.find((p) => p.kind?.programType !== 7);
    if (program === undefined) throw new Error('link_kinds has no non-perf_event program');
    expect(() => attachPerfEventPerCpu(other.program(program.name).fd, cpuClock)).toThrow(
      expect.objectContaining({ code: 'kernel', context: expect.objectContaining({ kind: 'perf_event' }) }),
    );
    expect(openFdCount()).toBe(fdsLoaded);
    other.close();
    expect(openFdCount()).toBe(before);
  });
});
