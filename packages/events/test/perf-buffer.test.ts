import { testRun } from '@bpfkit/syscall';
import { describe, expect, it } from 'vitest';
import { EventsError, openPerfBuffer, type PerfSample, type RecordView, sharedWaiter } from '../src/index.js';
import { onlineCpus } from '../src/online-cpus.js';
import { args, bpfUnavailable, eventMappings, loadEvents, openFdCount } from './kernel.js';

const unavailable = bpfUnavailable();
/** `BPF_F_TEST_RUN_ON_CPU`: run the program on the CPU named in the test-run attr. */
const TEST_RUN_ON_CPU = 1;

/** Runs the fixture's `sample` program on `cpu`: `count` samples of `size` bytes from `first`. */
function sampleOn(programFd: number, cpu: number, count: number, size: number, first: number): number {
  return testRun(programFd, { ctx: args(count, size, first), cpu, flags: TEST_RUN_ON_CPU }).retval;
}

function header(data: Uint8Array): { seq: number; cpu: number } {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return { seq: view.getUint32(0, true), cpu: view.getUint32(4, true) };
}

describe.skipIf(unavailable !== undefined)('perf buffer reader', () => {
  it('reads the samples written on each CPU from that CPU, across the end of the ring', async () => {
    using obj = loadEvents();
    using pb = openPerfBuffer(obj.map('samples').fd, { name: 'samples', pageCount: 1 });
    expect(pb.cpus).toEqual(onlineCpus());
    const program = obj.program('sample').fd;
    const seen = new Map<number, number[]>();
    // One 4 KiB page per CPU, 104-byte records (100 bytes + header, padded): wraps often,
    // and 104 does not divide 4096, so records split across the end.
    for (let round = 0; round < 20; round++) {
      for (const cpu of pb.cpus) expect(sampleOn(program, cpu, 10, 92, round * 10)).toBe(10);
      pb.consume(({ cpu, data: view }) => {
        const data = view.bytes();
        const h = header(data);
        expect(h.cpu).toBe(cpu);
        expect(data.length).toBe(92);
        for (let i = 8; i < 92; i++) if (data[i] !== i) expect(data[i]).toBe(i);
        seen.set(cpu, [...(seen.get(cpu) ?? []), h.seq]);
      });
    }
    for (const cpu of pb.cpus) expect(seen.get(cpu)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(pb.lost.every((n) => n === 0)).toBe(true);
  });

  it('counts the samples the kernel dropped when a CPU ring was full', async () => {
    using obj = loadEvents();
    using pb = openPerfBuffer(obj.map('samples').fd, { pageCount: 1 });
    const program = obj.program('sample').fd;
    const cpu = pb.cpus[pb.cpus.length - 1] as number;
    const taken = sampleOn(program, cpu, 100, 256, 0);
    expect(taken).toBeLessThan(100);
    expect(pb.consume(() => {})).toBe(taken);
    // The kernel reports the loss with the next sample that fits.
    expect(sampleOn(program, cpu, 1, 8, 100)).toBe(1);
    const after: PerfSample[] = [];
    pb.consume((sample) => after.push({ cpu: sample.cpu, data: sample.data.copy() }));
    expect(after.map((s) => header(s.data).seq)).toEqual([100]);
    expect(pb.lost[cpu]).toBe(100 - taken);
  });

  it('stops a consume at its limit (a fraction rounds up) and reads nothing for a limit of 0, below 0 or NaN', () => {
    using obj = loadEvents();
    using pb = openPerfBuffer(obj.map('samples').fd, { pageCount: 1 });
    const cpu = pb.cpus[0] as number;
    expect(sampleOn(obj.program('sample').fd, cpu, 12, 16, 0)).toBe(12);
    const seen: number[] = [];
    const read = (sample: PerfSample<RecordView>) => seen.push(header(sample.data.bytes()).seq);
    for (const limit of [0, -1, Number.NaN]) expect(pb.consume(read, limit)).toBe(0);
    expect(pb.consume(read, 2)).toBe(2);
    expect(pb.consume(read, 2.5)).toBe(3);
    expect(pb.consume(read)).toBe(7);
    expect(seen).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });

  it('wakes an async iterator, yields copies tagged with their CPU, and cleans up on close', async () => {
    const fds = openFdCount();
    const mappings = eventMappings();
    const obj = loadEvents();
    const pb = openPerfBuffer(obj.map('samples').fd, { pageCount: 2 });
    const program = obj.program('sample').fd;
    const got: PerfSample[] = [];
    const reading = (async () => {
      for await (const sample of pb) {
        got.push(sample);
        if (got.length === 2 * pb.cpus.length) break;
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 20));
    for (const cpu of pb.cpus) sampleOn(program, cpu, 2, 16, 10 * cpu);
    await reading;
    for (const { cpu, data } of got) expect(header(data).cpu).toBe(cpu);
    expect(got.map(({ cpu, data }) => `${cpu}:${header(data).seq}`).sort()).toEqual(
      pb.cpus.flatMap((cpu) => [`${cpu}:${10 * cpu}`, `${cpu}:${10 * cpu + 1}`]).sort(),
    );
    const pending = pb.readable();
    obj.close();
    pb.close();
    expect(await pending).toBe(false);
    await sharedWaiter().idle();
    expect(eventMappings()).toBe(mappings);
    expect(openFdCount()).toBe(fds);
  });

  it('refuses a page count that is not a power of two', () => {
    using obj = loadEvents();
    const fds = openFdCount();
    let error: unknown;
    try {
      openPerfBuffer(obj.map('samples').fd, { pageCount: 3 });
    } catch (e) {
      error = e;
    }
    expect(EventsError.is(error) && error.code).toBe('bad-size');
    expect(openFdCount()).toBe(fds);
  });
});
