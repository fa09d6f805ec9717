import { afterAll, describe, expect, it } from 'vitest';
import {
  type BackendName,
  backgroundBatchesInFlight,
  backgroundBatchesSettled,
  createMap,
  mapLookup,
  setBackend,
  startMapUpdateBatch,
  writeSlotsInBackground,
} from '../src/index.js';
import { bpfUnavailable, openFdCount, u32 } from './kernel.js';

const unavailable = bpfUnavailable();
afterAll(() => {
  setBackend('koffi');
});

/** An ARRAY_OF_MAPS and three slots for it whose second names a map of another value size, which the kernel refuses. */
function slotsWithSecondRefused() {
  const inner = createMap({ type: 2, keySize: 4, valueSize: 4, maxEntries: 1 });
  const wide = createMap({ type: 2, keySize: 4, valueSize: 8, maxEntries: 1 });
  const layout = { type: 12, keySize: 4, valueSize: 4, maxEntries: 4, innerMapFd: inner.fd };
  const outer = createMap(layout);
  return {
    outer,
    layout,
    keys: new Uint8Array(Uint32Array.of(0, 1, 2).buffer),
    values: new Uint8Array(Uint32Array.of(inner.fd, wide.fd, inner.fd).buffer),
    [Symbol.dispose]() {
      for (const fd of [outer, wide, inner]) fd.close();
    },
  };
}

describe.skipIf(unavailable !== undefined).each(['koffi', 'ffi-napi'] as BackendName[])(
  'startMapUpdateBatch (%s)',
  (ffi) => {
    it('writes map-in-map slots, reports the count, and closes its own descriptor', async () => {
      setBackend(ffi);
      const fds = openFdCount();
      using inner = createMap({ type: 2, keySize: 4, valueSize: 4, maxEntries: 1 });
      const layout = { type: 12, keySize: 4, valueSize: 4, maxEntries: 4, innerMapFd: inner.fd };
      using outer = createMap(layout);
      const keys = new Uint8Array(Uint32Array.of(1, 3).buffer);
      const values = new Uint8Array(Uint32Array.of(inner.fd, inner.fd).buffer);
      const batch = startMapUpdateBatch(outer.fd, keys, values, 2, layout);
      // koffi returns at once and calls back from the event loop; ffi-napi has already run it.
      expect(await batch.done).toBe(2);
      expect(batch.reportedCount).toBe(2);
      expect(mapLookup(outer.fd, u32(3), layout)).toBeDefined();
      expect(mapLookup(outer.fd, u32(2), layout)).toBeUndefined();
      await backgroundBatchesSettled();
      expect(backgroundBatchesInFlight()).toBe(0);
      expect(openFdCount()).toBe(fds + 2);
    });

    it('reports where the kernel stopped when a slot is refused', async () => {
      setBackend(ffi);
      using slots = slotsWithSecondRefused();
      const { outer, layout, keys, values } = slots;
      const batch = startMapUpdateBatch(outer.fd, keys, values, 3, layout);
      expect(await batch.done).toBe(-1);
      expect(batch.reportedCount).toBe(1);
      expect(mapLookup(outer.fd, u32(0), layout)).toBeDefined();
      expect(mapLookup(outer.fd, u32(2), layout)).toBeUndefined();
    });
  },
);

describe.skipIf(unavailable !== undefined).each(['koffi', 'ffi-napi'] as BackendName[])(
  'writeSlotsInBackground (%s)',
  (ffi) => {
    it('returns once every slot is in the map, before the batch has reported', async () => {
      setBackend(ffi);
      using inner = createMap({ type: 2, keySize: 4, valueSize: 4, maxEntries: 1 });
      const layout = { type: 12, keySize: 4, valueSize: 4, maxEntries: 4, innerMapFd: inner.fd };
      using outer = createMap(layout);
      const keys = new Uint8Array(Uint32Array.of(0, 2).buffer);
      const values = new Uint8Array(Uint32Array.of(inner.fd, inner.fd).buffer);
      const outcome = writeSlotsInBackground(outer.fd, layout, keys, values, 2);
      // A busy machine may give no worker thread in time: then nothing was written here.
      expect(['written', 'no-start']).toContain(outcome.how);
      if (outcome.how === 'written') {
        expect(outcome.written).toBe(2);
        expect(mapLookup(outer.fd, u32(2), layout)).toBeDefined();
        expect(mapLookup(outer.fd, u32(1), layout)).toBeUndefined();
      } else expect(outcome.written).toBe(0);
      await backgroundBatchesSettled();
    });

    it('keeps watching while the kernel is still writing a long batch (it zeroes the count first)', async () => {
      setBackend(ffi);
      const slots = 50_000;
      using inner = createMap({ type: 2, keySize: 4, valueSize: 4, maxEntries: 1 });
      const layout = { type: 12, keySize: 4, valueSize: 4, maxEntries: slots, innerMapFd: inner.fd };
      using outer = createMap(layout);
      const keys = new Uint8Array(Uint32Array.from({ length: slots }, (_, i) => i).buffer);
      const values = new Uint8Array(new Uint32Array(slots).fill(inner.fd).buffer);
      const outcome = writeSlotsInBackground(outer.fd, layout, keys, values, slots);
      expect(['written', 'no-start']).toContain(outcome.how);
      if (outcome.how === 'written') expect(mapLookup(outer.fd, u32(slots - 1), layout)).toBeDefined();
      await backgroundBatchesSettled();
    });

    it('names how many slots were written when the kernel refuses one', async () => {
      setBackend(ffi);
      using slots = slotsWithSecondRefused();
      const { outer, layout, keys, values } = slots;
      const outcome = writeSlotsInBackground(outer.fd, layout, keys, values, 3);
      expect(['entry-failed', 'no-start']).toContain(outcome.how);
      if (outcome.how === 'entry-failed') expect(outcome.written).toBe(1);
      expect(mapLookup(outer.fd, u32(2), layout)).toBeUndefined();
      await backgroundBatchesSettled();
    });

    it('starts nothing while too many batches are in flight', async () => {
      setBackend(ffi);
      using inner = createMap({ type: 2, keySize: 4, valueSize: 4, maxEntries: 1 });
      const layout = { type: 12, keySize: 4, valueSize: 4, maxEntries: 1, innerMapFd: inner.fd };
      using outer = createMap(layout);
      const keys = u32(0);
      const values = new Uint8Array(Uint32Array.of(inner.fd).buffer);
      const pending = Array.from({ length: 8 }, () => startMapUpdateBatch(outer.fd, keys, values, 1, layout));
      // ffi-napi runs each call before returning, so nothing stays in flight there.
      const full = backgroundBatchesInFlight() >= 8;
      expect(full).toBe(ffi === 'koffi');
      const outcome = writeSlotsInBackground(outer.fd, layout, keys, values, 1);
      if (full) expect(outcome).toEqual({ written: 0, how: 'busy' });
      else expect(outcome.how).not.toBe('busy');
      for (const batch of pending) await batch.done;
      await backgroundBatchesSettled();
    });
  },
);
