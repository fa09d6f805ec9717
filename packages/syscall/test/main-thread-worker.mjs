// Worker-thread side of main-thread.test.ts: reports what onMainThread says here, beside
// node:worker_threads' answer and this thread's kernel thread id.
import { isMainThread, parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { kernelThreadId, onMainThread } = await import('../src/main-thread.ts');
parentPort.postMessage({ onMainThread: onMainThread(), isMainThread, tid: kernelThreadId() });
