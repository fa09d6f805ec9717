import { fixture } from '@bpfkit/fixtures';
import {
  type BpfBackend,
  backgroundBatchesInFlight,
  backgroundBatchesSettled,
  getBackend,
  setBackend,
} from '@bpfkit/syscall';
import { describe, expect, it } from 'vitest';
import { BpfObject } from '../src/index.js';
import { bpfUnavailable, openFdCount, readU32, u32 } from './kernel.js';

const unavailable = bpfUnavailable();

/** A backend whose background calls start `delayMs` late, as with a busy libuv pool; `finished` settles when they have run. */
function slowPool(real: BpfBackend, delayMs: number) {
  const results: Promise<number>[] = [];
  const slow: BpfBackend = {
    ...real,
    bpfInBackground(command, attr, size, done) {
      results.push(
        new Promise((resolve) => {
          setTimeout(() => {
            real.bpfInBackground(command, attr, size, (result) => {
              done(result);
              resolve(result);
            });
          }, delayMs);
        }),
      );
    },
  };
  return { backend: slow, finished: () => Promise.all(results) };
}

describe.skipIf(unavailable !== undefined)('map-in-map slots written in the background', () => {
  it("return before the kernel's RCU wait ends, with every slot in place and no descriptor left", () => {
    const lines: string[] = [];
    const before = openFdCount();
    const obj = BpfObject.open(fixture('btf_map_in_map').path, { logger: (l) => lines.push(l) });
    obj.load();
    // One batch per outer map, each confirmed in the map before load() returned. On a busy
    // machine a batch no pool thread starts in time is written one by one instead (next test).
    const written = (l: string) =>
      l.includes('slots written in one batch') ||
      l.includes('no worker thread ran it in time; writing slots one by one');
    expect(lines.filter(written)).toHaveLength(
      obj.maps.filter((m) => m.inner !== undefined && m.slots.length > 0).length,
    );
    const id = (name: string) => obj.map(name).info().id;
    expect(readU32(obj.map('outer_sparse').lookup(u32(63)))).toBe(id('inner_map2'));
    obj.close();
    // Checked before any callback can run: the calls' own descriptors closed once their writes were seen.
    expect(openFdCount()).toBe(before);
  });

  it('a batch no worker thread runs in time is cancelled: slots are written here, and its late start writes nothing', async () => {
    await backgroundBatchesSettled();
    const real = getBackend();
    const pool = slowPool(real, 400);
    const lines: string[] = [];
    const before = openFdCount();
    setBackend(pool.backend);
    let late: number[];
    try {
      const obj = BpfObject.open(fixture('map_in_map').path, { logger: (l) => lines.push(l) });
      obj.load();
      expect(lines.some((l) => l.includes('no worker thread ran it in time; writing slots one by one'))).toBe(true);
      const outer = obj.map('outer_hash');
      expect(readU32(outer.lookup(u32(4)))).toBe(obj.map('inner_map1').info().id);
      // Change a slot after load: the cancelled batch must not put the old value back.
      outer.delete(u32(4));
      late = await pool.finished();
      expect(outer.lookup(u32(4))).toBeUndefined();
      expect(readU32(obj.map('outer_arr').lookup(u32(2)))).toBe(obj.map('inner_map2').info().id);
      obj.close();
    } finally {
      setBackend(real);
    }
    // Each late call found its descriptor pointed at /dev/null and failed; none is left open.
    expect(late.length).toBeGreaterThan(0);
    expect(late.every((r) => r < 0)).toBe(true);
    expect(openFdCount()).toBe(before);
  }, 10_000);

  it('loads made without yielding to the event loop switch to synchronous batches, and all hold their slots', async () => {
    await backgroundBatchesSettled();
    const background: boolean[] = [];
    for (let i = 0; i < 12; i++) {
      const lines: string[] = [];
      using obj = BpfObject.open(fixture('btf_map_in_map').path, { logger: (l) => lines.push(l) });
      obj.load();
      background.push(lines.some((l) => l.includes('RCU wait runs in the background')));
      expect(readU32(obj.map('outer_sparse').lookup(u32(63)))).toBe(obj.map('inner_map2').info().id);
    }
    if (getBackend().name === 'ffi-napi') {
      // ffi-napi runs each call in place: nothing is left in flight, so no load falls back.
      expect(background.every(Boolean)).toBe(true);
      expect(backgroundBatchesInFlight()).toBe(0);
    } else {
      // The first load runs in the background; once the limit is reached, loads write synchronously.
      expect(background[0]).toBe(true);
      expect(background.slice(-4)).toEqual([false, false, false, false]);
      expect(backgroundBatchesInFlight()).toBeGreaterThan(0);
    }
    await backgroundBatchesSettled();
    expect(backgroundBatchesInFlight()).toBe(0);
  }, 20_000);
});
