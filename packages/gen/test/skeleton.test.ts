import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { btfCodec } from '@bpfkit/btf';
import { fixture } from '@bpfkit/fixtures';
import { GenError, generateSkeleton } from '@bpfkit/gen';
import type { BpfObject } from '@bpfkit/loader';
import { Errno, getBackend, setBackend } from '@bpfkit/syscall';
import { MapFlag } from '@bpfkit/uapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bpfUnavailable, openFdCount } from '../../loader/test/kernel.js';
import { countingBackend } from './counting-backend.js';
import { GeneratedModules } from './write-module.js';

const unavailable = bpfUnavailable();

/** The live view of `struct stats` in `.bss`, as the test uses it. */
interface LiveStats {
  readonly hist: number[];
  $value(): unknown;
}

/** The parts of the generated skeleton module the test uses. */
interface SkeletonModule {
  Skeleton: {
    open(options?: Record<string, unknown>): Skeleton & { load(): Skeleton };
  };
  mode: Record<string, number>;
}
interface Skeleton {
  load(): Skeleton;
  close(): void;
  readonly object: BpfObject;
  readonly rodata: Record<string, unknown>;
  readonly bss: Record<string, unknown>;
  readonly data: Record<string, unknown>;
  readonly data_custom: Record<string, unknown>;
  readonly maps: Record<
    string,
    {
      readonly cpus?: number;
      get(key: unknown): unknown;
      set(key: unknown, value: unknown): void;
      entries(): Iterable<[unknown, unknown]>;
    }
  >;
  readonly programs: Record<string, { testRun(options: { data: Uint8Array }): { retval: number } }>;
  readonly events: Record<string, AsyncIterable<unknown>>;
  attach(): unknown[];
  [Symbol.dispose](): void;
}

describe.skipIf(unavailable !== undefined)('a generated skeleton on the kernel', () => {
  const modules = new GeneratedModules();
  const object = fixture('skeleton').path;
  let generated: SkeletonModule;
  let embedded: SkeletonModule;

  beforeAll(async () => {
    const bytes = new Uint8Array(readFileSync(object));
    const text = generateSkeleton(bytes, {
      object: 'skeleton.el.o',
      objectPath: relative(modules.dir, object),
      events: { events: 'event' },
    });
    generated = (await modules.import('skeleton.ts', text)) as unknown as SkeletonModule;
    const embedText = generateSkeleton(bytes, { object: 'skeleton.el.o', embed: true, name: 'Skeleton' });
    embedded = (await modules.import('skeleton-embedded.ts', embedText)) as unknown as SkeletonModule;
  }, 120_000); // importing transforms the generated modules and the loader: slow on a busy machine
  afterAll(() => modules.remove());

  it('opens with typed rodata, loads, and shares live globals with a test-run program', async () => {
    const fds = openFdCount();
    const skel = generated.Skeleton.open({
      rodata: { targ_pid: 4242, targ_limit: 7n, targ_comm: 'bpfkit', targ_mode: generated.mode.MODE_TRACE },
    }).load();
    try {
      expect(skel.rodata).toMatchObject({ targ_pid: 4242, targ_limit: 7n, targ_comm: 'bpfkit', targ_mode: 2 });
      expect(skel.data.limit).toBe(5); // the object's initial value, read from kernel memory
      expect(skel.data_custom.custom).toBe(7);
      // Writes go straight to the map: the program reads them on its next run.
      skel.bss.counter = 100n;
      skel.data.limit = 9;
      skel.data.pair = { a: 11, b: 22 };
      skel.data_custom.custom = 33;
      expect(skel.programs.count_packets?.testRun({ data: new Uint8Array(64) }).retval).toBe(2); // XDP_PASS
      // ...and what the program wrote is seen with no system call.
      expect(skel.bss.counter).toBe(101n);
      expect(skel.bss.last_pid).toBe(4242);
      const totals = skel.bss.totals as LiveStats;
      expect(totals.$value()).toEqual({ packets: 1n, bytes: 7n, hist: [0, 0, 0, 0], small: [0, 0] });
      // A struct global is a live view: a member written through it reaches the map.
      totals.hist[0] = 1;
      expect(skel.object.map('.bss').get(0)).toMatchObject({ totals: { hist: [1, 0, 0, 0] } });
      // The same bytes through the loader's map, decoded by the BTF codec.
      expect(skel.object.map('.bss').get(0)).toMatchObject({ counter: 101n, last_pid: 4242 });

      // Typed map reads: the key of the program's write is the live `limit`.
      expect(skel.maps.stats_by_key?.get({ cpu: 0, slot: 9 })).toEqual({
        packets: 101n,
        bytes: 7n,
        hist: [33, 11, 22, 0],
        small: [0, 0],
      });
      const hits = skel.maps.per_cpu_hits?.get(0) as bigint[];
      expect(hits.length).toBeGreaterThan(0); // one value per possible CPU
      expect(hits.reduce((a, b) => a + b, 0n)).toBe(1n);
      const event = skel.maps.last_event?.get(0);
      expect(event).toMatchObject({
        pid: 4242,
        delta: -1,
        time_ns: 101n,
        comm: 'bpfkit',
        mode: 2,
        flags: { ready: 1, level: 5, signed_bits: -3, big: 0n },
        num: { whole: 0x1122334455667788n, halves: [0x55667788, 0x11223344] },
        addr: { port: 8080, family: 0 },
        _8: { ipv4: 0x0100007f },
        done: true,
        wide: 0x100000000n,
      });
      expect(event).toEqual(skel.object.map('last_event').get(0)); // agrees with the BTF codec

      // The ring buffer reader decodes records as the generated event type.
      for await (const record of skel.events.events as AsyncIterable<unknown>) {
        expect(record).toEqual(event);
        break;
      }
    } finally {
      skel.close();
    }
    expect(openFdCount()).toBe(fds);
    expect(() => skel.bss.counter).toThrowError(expect.objectContaining({ name: 'GenError', code: 'not-loaded' }));
  });

  it('takes every global set between open and load (.rodata, .bss, .data, .data.*) into the loaded program; .rodata is frozen after', () => {
    const skel = generated.Skeleton.open({ rodata: { targ_pid: 1 } });
    try {
      skel.rodata.targ_pid = 77; // over the value open() was given
      skel.rodata.targ_limit = 3n;
      skel.bss.counter = 41n;
      skel.data.limit = 12;
      skel.data.pair = { a: 5, b: 6 };
      skel.data_custom.custom = 4;
      expect(skel.bss.counter).toBe(41n); // read back before load, from the initial value
      skel.load();
      expect(skel.bss.counter).toBe(41n); // now from kernel memory
      expect(skel.programs.count_packets?.testRun({ data: new Uint8Array(64) }).retval).toBe(2);
      expect(skel.bss.counter).toBe(42n);
      expect(skel.bss.last_pid).toBe(77);
      expect(skel.maps.stats_by_key?.get({ cpu: 0, slot: 12 })).toEqual({
        packets: 42n,
        bytes: 3n,
        hist: [4, 5, 6, 0],
        small: [0, 0],
      });
      expect(() => {
        skel.rodata.targ_pid = 1;
      }).toThrowError(
        expect.objectContaining({
          name: 'GenError',
          code: 'read-only',
          message: expect.stringContaining('.rodata was frozen at load'),
          context: expect.objectContaining({ field: 'targ_pid' }),
          hint: expect.stringContaining('between open() and load()'),
        }),
      );
      expect(skel.rodata.targ_pid).toBe(77);
    } finally {
      skel.close();
    }
  });

  it('reads and writes live globals with no system call: the .bss map is BPF_F_MMAPABLE and mapped', () => {
    using skel = generated.Skeleton.open().load();
    const bss = skel.object.map('.bss');
    expect(bss.info().flags & MapFlag.MMAPABLE).toBe(MapFlag.MMAPABLE);
    const real = getBackend();
    const counting = countingBackend(real);
    setBackend(counting.backend);
    let sum = 0n;
    try {
      for (let i = 0; i < 1000; i++) {
        skel.bss.counter = BigInt(i);
        sum += skel.bss.counter as bigint;
        skel.data.limit = i;
      }
      expect(counting.calls).toEqual([]); // 3000 accesses, not one native call
      bss.lookup(new Uint8Array(4)); // the counter does see a lookup's bpf(2)
      expect(counting.calls).toContain('bpf');
    } finally {
      setBackend(real);
    }
    expect(sum).toBe(499500n);
    expect(skel.programs.count_packets?.testRun({ data: new Uint8Array(64) }).retval).toBe(2);
    expect(skel.bss.counter).toBe(1000n); // the program saw the last write
  });

  it('closes what it opened when load fails after the object loaded (mapping .bss refused)', () => {
    const fds = openFdCount();
    const skel = generated.Skeleton.open();
    const real = getBackend();
    setBackend(countingBackend(real, true).backend);
    try {
      expect(() => skel.load()).toThrowError(expect.objectContaining({ name: 'BpfSyscallError', errno: Errno.ENOMEM }));
    } finally {
      setBackend(real);
    }
    expect(openFdCount()).toBe(fds);
    expect(() => skel.bss.counter).toThrowError(expect.objectContaining({ name: 'GenError', code: 'not-loaded' }));
  });

  it('writes and reads per-CPU values, one per possible CPU, as the loader decodes them; iterates typed entries', () => {
    using skel = generated.Skeleton.open().load();
    const hits = skel.maps.per_cpu_hits as NonNullable<Skeleton['maps'][string]>;
    const values = Array.from({ length: hits.cpus ?? 0 }, (_, cpu) => BigInt(cpu) * 10n + 1n);
    expect(values.length).toBe(skel.object.map('per_cpu_hits').lookupSize / 8);
    hits.set(0, values);
    expect(hits.get(0)).toEqual(values);
    expect(skel.object.map('per_cpu_hits').get(0)).toEqual(values);
    expect([...hits.entries()]).toEqual([[0, values]]);
    expect(() => hits.set(0, values.slice(1))).toThrowError(expect.objectContaining({ code: 'out-of-range' }));
    skel.maps.stats_by_key?.set({ cpu: 3, slot: 4 }, { packets: 1n, bytes: 2n, hist: [3, 4, 5, 6], small: [7, -8] });
    expect([...(skel.maps.stats_by_key?.entries() ?? [])]).toEqual([
      [
        { cpu: 3, slot: 4 },
        { packets: 1n, bytes: 2n, hist: [3, 4, 5, 6], small: [7, -8] },
      ],
    ]);
  });

  it('refuses values that do not fit their C type, naming the variable', () => {
    using skel = generated.Skeleton.open().load();
    const tooBig = (() => {
      try {
        skel.data.limit = 2 ** 32;
      } catch (error) {
        return error;
      }
    })();
    expect(GenError.is(tooBig)).toBe(true);
    expect(tooBig).toMatchObject({ code: 'out-of-range', context: { field: 'limit' } });
    expect(skel.data.limit).toBe(5); // nothing written
    expect(() => generated.Skeleton.open({ rodata: { targ_comm: 'x'.repeat(16) } })).toThrowError(/targ_comm/);
  });

  it('runs from an embedded object, and writes to a typed map', () => {
    using skel = embedded.Skeleton.open({ rodata: { targ_mode: embedded.mode.MODE_OFF } }).load();
    skel.maps.stats_by_key?.set({ cpu: 1, slot: 2 }, { packets: 3n, bytes: 4n, hist: [5, 6, 7, 8], small: [-1, 1] });
    const raw = skel.object.map('stats_by_key');
    const codec = btfCodec(raw.btf as NonNullable<typeof raw.btf>, raw.spec.btfValueTypeId);
    const bytes = raw.lookup(
      btfCodec(raw.btf as NonNullable<typeof raw.btf>, raw.spec.btfKeyTypeId).encode({ cpu: 1, slot: 2 }),
    );
    expect(codec.decode(bytes as Uint8Array)).toEqual({ packets: 3n, bytes: 4n, hist: [5, 6, 7, 8], small: [-1, 1] });
    skel.programs.count_packets?.testRun({ data: new Uint8Array(64) });
    expect(skel.bss.counter).toBe(0n); // MODE_OFF, set through the typed rodata, stops the program early
    expect(skel.attach()).toEqual([]); // XDP needs an interface: attach() leaves it to the caller
  });
});
