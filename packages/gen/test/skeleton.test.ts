import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { btfCodec } from '@bpfkit/btf';
import { fixture } from '@bpfkit/fixtures';
import { GenError, generateSkeleton } from '@bpfkit/gen';
import type { BpfObject } from '@bpfkit/loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bpfUnavailable, openFdCount } from '../../loader/test/kernel.js';
import { GeneratedModules } from './write-module.js';

const unavailable = bpfUnavailable();

/** The parts of the generated skeleton module the test uses. */
interface SkeletonModule {
  Skeleton: {
    open(options?: Record<string, unknown>): Skeleton;
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
  readonly maps: Record<string, { get(key: unknown): unknown; set(key: unknown, value: unknown): void }>;
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
      expect(skel.bss.totals).toEqual({ packets: 1n, bytes: 7n, hist: [0, 0, 0, 0], small: [0, 0] });
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
