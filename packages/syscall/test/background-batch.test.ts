import { afterAll, describe, expect, it } from 'vitest';
import {
  type BackendName,
  backgroundBatchesInFlight,
  backgroundBatchesSettled,
  createMap,
  mapLookup,
  setBackend,
  startMapUpdateBatch,
} from '../src/index.js';
import { bpfUnavailable, openFdCount, u32 } from './kernel.js';

const unavailable = bpfUnavailable();
afterAll(() => {
  setBackend('koffi');
});

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
      using inner = createMap({ type: 2, keySize: 4, valueSize: 4, maxEntries: 1 });
      using wide = createMap({ type: 2, keySize: 4, valueSize: 8, maxEntries: 1 });
      const layout = { type: 12, keySize: 4, valueSize: 4, maxEntries: 4, innerMapFd: inner.fd };
      using outer = createMap(layout);
      const keys = new Uint8Array(Uint32Array.of(0, 1, 2).buffer);
      const values = new Uint8Array(Uint32Array.of(inner.fd, wide.fd, inner.fd).buffer);
      const batch = startMapUpdateBatch(outer.fd, keys, values, 3, layout);
      expect(await batch.done).toBe(-1);
      expect(batch.reportedCount).toBe(1);
      expect(mapLookup(outer.fd, u32(0), layout)).toBeDefined();
      expect(mapLookup(outer.fd, u32(2), layout)).toBeUndefined();
    });
  },
);
