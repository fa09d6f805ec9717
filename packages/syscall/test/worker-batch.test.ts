import { readdirSync, readlinkSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { closeDescriptorsOfEndedThreads, shareDescriptorTable } from '../src/index.js';
import { bpfUnavailable } from './kernel.js';

const unavailable = bpfUnavailable();

/** bpf objects (maps, programs, links, BTF) this process holds open. */
function bpfDescriptors(): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith('anon_inode:bpf');
    } catch {
      return false;
    }
  }).length;
}

describe.skipIf(unavailable !== undefined || process.env.BPFKIT_FFI === 'ffi-napi')(
  'background batches of a terminated worker',
  () => {
    it('leave no descriptor behind: the duplicate each batch works on is closed with the thread', async () => {
      shareDescriptorTable();
      const before = bpfDescriptors();
      const worker = new Worker(new URL('./batch-worker.mjs', import.meta.url), { workerData: { batches: 8 } });
      await new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      await worker.terminate();
      // Two maps, plus a duplicate per batch whose result never reached the worker's event loop.
      const closed = closeDescriptorsOfEndedThreads();
      expect(closed).toBeGreaterThanOrEqual(2);
      expect(bpfDescriptors()).toBe(before);
    }, 60_000);
  },
);
