import { readdirSync, readlinkSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import * as syscall from '@bpfkit/syscall';
import { describe, expect, it } from 'vitest';
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

/** Starts a worker that loads `globals_subprogs`; resolves once it holds the object (or failed to). */
async function loadedWorker(end = false): Promise<{ worker: Worker; reply: unknown }> {
  const worker = new Worker(new URL('./hold-worker.mjs', import.meta.url), {
    workerData: { fixture: 'globals_subprogs', end },
  });
  const reply = await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return { worker, reply };
}

const ffiNapi = process.env.BPFKIT_FFI === 'ffi-napi';

describe.skipIf(unavailable !== undefined || !ffiNapi)('ffi-napi in worker threads', () => {
  it('is refused with a typed error, as terminating such a worker would crash the process', async () => {
    const { worker, reply } = await loadedWorker();
    await new Promise((resolve) => worker.once('exit', resolve));
    expect(reply).toEqual({
      error: expect.objectContaining({
        name: 'BpfSyscallError',
        code: 'not-supported',
        hint: expect.stringContaining('ffi-napi is refused in worker threads'),
      }),
    });
  }, 60_000);
});

describe.skipIf(unavailable !== undefined || ffiNapi)('descriptors of worker threads', () => {
  it('are closed after ten workers are terminated mid-life', async () => {
    syscall.shareDescriptorTable();
    const before = bpfDescriptors();
    const workers: Worker[] = [];
    for (let i = 0; i < 10; i++) workers.push((await loadedWorker()).worker);
    const held = bpfDescriptors() - before;
    expect(held).toBeGreaterThanOrEqual(10 * 5);
    await Promise.all(workers.map((worker) => worker.terminate()));
    expect(bpfDescriptors() - before).toBe(held); // terminate() ran nothing of theirs
    expect(syscall.closeDescriptorsOfEndedThreads()).toBe(held);
    expect(bpfDescriptors()).toBe(before);
  }, 120_000);

  it('are closed by the worker itself when it ends without closing its objects', async () => {
    const before = bpfDescriptors();
    const { worker } = await loadedWorker(true);
    await new Promise((resolve) => worker.once('exit', resolve));
    expect(bpfDescriptors()).toBe(before);
    expect(syscall.closeDescriptorsOfEndedThreads()).toBe(0);
  }, 60_000);

  it('are closed when the worker is terminated while its background slot batches wait in the kernel', async () => {
    syscall.shareDescriptorTable();
    const before = bpfDescriptors();
    const worker = new Worker(new URL('./batch-worker.mjs', import.meta.url), { workerData: { batches: 8 } });
    await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    // Two maps, plus the duplicate of each batch whose result never reached the worker's event loop.
    expect(syscall.closeDescriptorsOfEndedThreads()).toBeGreaterThanOrEqual(2);
    expect(bpfDescriptors()).toBe(before);
  }, 60_000);
});
