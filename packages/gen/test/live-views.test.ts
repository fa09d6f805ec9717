import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fixture, readFixture } from '@bpfkit/fixtures';
import { GenError, generateSkeleton } from '@bpfkit/gen';
import type { BpfObject } from '@bpfkit/loader';
import { getBackend, setBackend } from '@bpfkit/syscall';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bpfUnavailable, openFdCount } from '../../loader/test/kernel.js';
import { countingBackend } from './counting-backend.js';
import { GeneratedModules } from './write-module.js';

const unavailable = bpfUnavailable();

/** Indices the test names literally, typed as present (as the generated tuple types have them). */
type Index = 0 | 1 | 2 | 3 | 7 | 11;

/** A live array as the test drives it: indexed, iterated, set, copied. */
type Live<T> = LiveArray<T> & { [K in Index]: T };
interface LiveArray<T> extends Iterable<T> {
  [index: number]: T;
  readonly length: number;
  set(index: number, value: unknown): void;
  $value(): unknown;
}
interface Point {
  x: number;
  y: number;
  $value(): unknown;
}
interface Config {
  limit: number;
  readonly inner: { readonly a: Live<number>; tag: number; label: string; $value(): unknown };
  level: number;
  enabled: number;
  shift: number;
  delta: number;
  readonly u: { word: number; readonly bytes: Live<number> };
  $value(): unknown;
}
/** The parts of the `live_globals` fixture's generated skeleton the test uses. */
interface LiveGlobals {
  load(): LiveGlobals;
  close(): void;
  readonly object: BpfObject;
  readonly rodata: { readonly rcfg: Config };
  readonly data: { readonly cfg: Config };
  readonly data_stats: { readonly totals: Live<bigint> };
  readonly bss: {
    readonly arr: Live<number>;
    readonly pts: Live<Point>;
    readonly grid: Live<Live<number>>;
    readonly out: { runs: bigint; readonly seen: Live<number>; readonly last: Point; $value(): unknown };
  };
  readonly programs: { use_globals: { testRun(options: { data: Uint8Array }): { retval: number } } };
}
interface LiveGlobalsModule {
  LiveGlobals: { open(): LiveGlobals };
  level: Record<string, number>;
}

/** What `run` throws (it must throw). */
function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

/** Runs `run` and checks it made no native call (bpf, mmap, …): every access went to mapped memory. */
function withoutNativeCalls(run: () => void): void {
  const real = getBackend();
  const counting = countingBackend(real);
  setBackend(counting.backend);
  try {
    run();
  } finally {
    setBackend(real);
  }
  expect(counting.calls).toEqual([]);
}

describe('live views in generated text', () => {
  it('writes a view class per struct and union a global reaches, and live arrays, as the snapshot shows', async () => {
    const text = generateSkeleton(readFixture('live_globals', 'el'), { object: 'live_globals.el.o' });
    await expect(text).toMatchFileSnapshot('__snapshots__/live-globals-skeleton.ts.txt');
  });
});

describe.skipIf(unavailable !== undefined)('live views of struct, union and array globals on the kernel', () => {
  const modules = new GeneratedModules();
  const object = fixture('live_globals').path;
  let module: LiveGlobalsModule;

  beforeAll(async () => {
    const text = generateSkeleton(new Uint8Array(readFileSync(object)), {
      object: 'live_globals.el.o',
      objectPath: relative(modules.dir, object),
    });
    module = (await modules.import('live-globals.ts', text)) as unknown as LiveGlobalsModule;
  }, 120_000);
  afterAll(() => modules.remove());

  it('writes members and elements in place with no system call; a test-run program reads them and writes others the test reads back in place', () => {
    const fds = openFdCount();
    const skel = module.LiveGlobals.open();
    const { rcfg } = skel.rodata;
    const { cfg } = skel.data;
    // Before load, .rodata too is written in place (into the bytes the loader will send).
    rcfg.inner.a[1] = 40;
    rcfg.limit = 2;
    rcfg.inner.label = 'ro!';
    cfg.limit = 21;
    cfg.inner.tag = 8;
    skel.load();
    try {
      expect(rcfg.inner.a[1]).toBe(40); // the same view, now over the frozen map's copy
      expect(skel.object.map('.rodata').get(0)).toMatchObject({ rcfg: { limit: 2, inner: { a: [1, 40, 3, 4] } } });
      withoutNativeCalls(() => {
        cfg.inner.a[2] = 1000;
        skel.bss.arr[7] = 5;
        cfg.enabled = 1;
        cfg.shift = 17;
        cfg.delta = -9;
        skel.bss.grid[1][2] = 300;
        cfg.u.bytes[1] = 2;
        skel.bss.pts[1].x = -4;
        skel.bss.pts[1].y = 6;
        cfg.level = module.level.LEVEL_HIGH as number;
        skel.data_stats.totals[0] = 5n;
      });
      expect(skel.programs.use_globals.testRun({ data: new Uint8Array(64) }).retval).toBe(2); // XDP_PASS

      withoutNativeCalls(() => {
        const { out } = skel.bss;
        expect(out.runs).toBe(1n);
        expect([...out.seen]).toEqual([1005, 17, 302, 9]); // what the program read of the test's writes
        expect([out.last.x, out.last.y]).toEqual([-4, 6]);
        expect(skel.bss.arr[0]).toBe(42); // cfg.limit * 2
        expect(skel.bss.pts[2].y).toBe(-8); // -cfg.inner.tag
        expect(skel.bss.grid[0][1]).toBe(module.level.LEVEL_HIGH);
        expect(cfg.inner.a[3]).toBe(42); // rcfg.inner.a[1] + rcfg.limit
        expect(cfg.inner.label).toBe('ro!');
        expect(skel.data_stats.totals[11]).toBe(5n);
        expect(cfg.u.word).toBe(2 << 8); // the union's other member, over the same bytes (little-endian)
      });
      // The views agree with the loader's map reads decoded by the BTF codec.
      expect(skel.object.map('.bss').get(0)).toEqual({
        out: skel.bss.out.$value(),
        arr: skel.bss.arr.$value(),
        pts: skel.bss.pts.$value(),
        grid: skel.bss.grid.$value(),
      });
      expect(skel.object.map('.data').get(0)).toEqual({ cfg: cfg.$value() });
      expect(skel.object.map('.data').get(0)).toMatchObject({
        cfg: { limit: 21, enabled: 1, shift: 17, delta: -9, level: 7, inner: { a: [0, 0, 1000, 42], tag: 8 } },
      });
    } finally {
      skel.close();
    }
    expect(openFdCount()).toBe(fds);
    expect(thrown(() => cfg.limit)).toMatchObject({ name: 'GenError', code: 'not-loaded' }); // a kept view follows its section
  });

  it('refuses writes to a frozen .rodata at any depth, naming the member and why', () => {
    const skel = module.LiveGlobals.open().load();
    try {
      const { rcfg } = skel.rodata;
      for (const [write, field] of [
        [() => (rcfg.limit = 1), 'rcfg.limit'],
        [() => (rcfg.inner.a[2] = 1), 'rcfg.inner.a[2]'],
        [() => (rcfg.inner.label = 'x'), 'rcfg.inner.label'],
        [() => (rcfg.shift = 1), 'rcfg.shift'],
        [() => (rcfg.u.bytes[0] = 1), 'rcfg.u.bytes[0]'],
      ] as const) {
        const error = thrown(write);
        expect(GenError.is(error)).toBe(true);
        expect(error).toMatchObject({ code: 'read-only', context: { object: 'live_globals.el.o', field } });
        expect((error as Error).message).toContain('.rodata was frozen at load');
        expect((error as GenError).hint).toContain('between open() and load()');
      }
      expect(rcfg.inner.a[2]).toBe(3); // nothing changed
      expect(rcfg.inner.label).toBe('ro');
    } finally {
      skel.close();
    }
  });

  it('bounds-checks every index, reads and writes, with a typed error naming the array; values that do not fit name the element', () => {
    const skel = module.LiveGlobals.open().load();
    try {
      const { arr, grid, pts } = skel.bss;
      expect(arr.length).toBe(8);
      expect(grid.length).toBe(2);
      expect(grid[1].length).toBe(3);
      for (const index of [8, -1, 1.5]) {
        const write = thrown(() => {
          arr[index] = 1;
        });
        expect(GenError.is(write)).toBe(true);
        expect(write).toMatchObject({
          code: 'out-of-range',
          context: { field: 'arr', expected: 'an index from 0 to 7', actual: String(index) },
        });
        expect(thrown(() => arr[index])).toMatchObject({ code: 'out-of-range', context: { field: 'arr' } });
      }
      expect(thrown(() => grid[1][3])).toMatchObject({ code: 'out-of-range', context: { field: 'grid[1]' } });
      expect(thrown(() => (skel.data.cfg.inner.a[1] = 2 ** 32))).toMatchObject({
        code: 'out-of-range',
        context: { field: 'cfg.inner.a[1]' },
      });
      expect(thrown(() => (skel.data.cfg.shift = 32))).toMatchObject({
        code: 'out-of-range',
        context: { field: 'cfg.shift' },
      });
      expect(skel.object.map('.bss').get(0)).toMatchObject({ arr: [0, 0, 0, 0, 0, 0, 0, 0] }); // nothing written
      // A whole value that does not fit is refused before any byte of it is written.
      const { cfg } = skel.data;
      const inner = cfg.inner.$value();
      const tooLong = thrown(() => {
        (cfg as { inner: unknown }).inner = { a: [9, 9, 9, 9], tag: 1, label: 'far too long' };
      });
      expect(tooLong).toMatchObject({ code: 'out-of-range', context: { field: 'inner.label' } });
      expect(cfg.inner.$value()).toEqual(inner);
      // Whole elements and whole arrays are written from plain values; iteration reads each in turn.
      pts.set(0, { x: 3, y: -3 });
      expect(pts[0].$value()).toEqual({ x: 3, y: -3 });
      pts[1] = { x: 7, y: 8 } as unknown as Point;
      expect([...pts].map((p) => p.x)).toEqual([3, 7, 0]);
      skel.bss.grid[0] = [1, 2, 3] as unknown as Live<number>;
      expect(grid.$value()).toEqual([
        [1, 2, 3],
        [0, 0, 0],
      ]);
      expect(1 in arr && !(8 in arr)).toBe(true);
      expect(thrown(() => ((arr as unknown as { length: number }).length = 3))).toBeInstanceOf(TypeError);
      expect(arr.length).toBe(8);
    } finally {
      skel.close();
    }
  });
});
