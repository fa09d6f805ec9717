import { isMainThread, Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { kernelThreadId, onMainThread } from '../src/main-thread.js';

describe('onMainThread', () => {
  it('agrees with node:worker_threads on the thread the test runs on', () => {
    expect(onMainThread()).toBe(isMainThread);
    expect(kernelThreadId() === process.pid).toBe(isMainThread);
  });

  it('is false in a worker thread, whose kernel thread id differs from the main one', async () => {
    const worker = new Worker(new URL('./main-thread-worker.mjs', import.meta.url));
    const reply = await new Promise<{ onMainThread: boolean; isMainThread: boolean; tid: number }>(
      (resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      },
    );
    await worker.terminate();
    expect(reply.onMainThread).toBe(false);
    expect(reply.isMainThread).toBe(false);
    expect(reply.tid).not.toBe(kernelThreadId());
  });
});
