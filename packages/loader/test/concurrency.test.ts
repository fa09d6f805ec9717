import { Worker } from 'node:worker_threads';
import { loadableFixtures } from '@bpfkit/fixtures';
import { describe, expect, it } from 'vitest';
import { bpfUnavailable, openFdCount } from './kernel.js';
import { type LoadSummary, loadSummary } from './load-summary.js';

const unavailable = bpfUnavailable();
// `pinned` is left out: concurrent first loads of one pin race in libbpf too. So is `arena`:
// its arena names its user address (map_extra), and one process holds one mapping there, so
// a second live load of it fails (mmap EEXIST; libbpf's MAP_FIXED would replace the first).
const paths = loadableFixtures()
  .filter((f) => f.name !== 'pinned' && f.name !== 'arena')
  .map((f) => f.path);

/** Loads `objects` in a fresh worker thread (sources run through tsx, as in the tests). */
function loadInWorker(objects: string[]): Promise<LoadSummary[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./load-worker.mjs', import.meta.url));
    worker.once('message', async (reply: { summaries?: LoadSummary[]; error?: string }) => {
      // Wait for the thread to end, so the descriptors of its own event loop are closed too.
      await worker.terminate();
      if (reply.summaries) resolve(reply.summaries);
      else reject(new Error(reply.error));
    });
    worker.once('error', reject);
    worker.postMessage(objects);
  });
}

// bpfkit refuses ffi-napi in worker threads (terminating one would crash the process).
describe.skipIf(unavailable !== undefined || process.env.BPFKIT_FFI === 'ffi-napi')(
  'loading from worker threads',
  () => {
    it('gives every thread the same programs and maps as a serial load, and leaks nothing', async () => {
      const fdsBefore = openFdCount();
      const serial = paths.map(loadSummary);
      expect(serial.length).toBeGreaterThan(5);
      // Four threads load everything at once, each in a different order.
      const orders = [0, 1, 2, 3].map((shift) => [...paths.slice(shift), ...paths.slice(0, shift)]);
      const results = await Promise.all(orders.map(loadInWorker));
      for (const [i, result] of results.entries()) {
        const byObject = new Map(result.map((summary) => [summary.object, summary]));
        expect(orders[i]?.length).toBe(result.length);
        for (const expected of serial) expect(byObject.get(expected.object)).toEqual(expected);
      }
      expect(openFdCount()).toBe(fdsBefore);
    }, 120_000);
  },
);
