// The producer thread of the wake-up latency row (bench/events.ts): runs the events
// fixture's produce_event program, which writes one stamped record with a forced wake-up,
// once a millisecond, `count` times; the fd comes from the main thread (fds are per process).
// Plain JavaScript that registers tsx, so bpfkit's sources load here as in the main thread.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { testRun } = await import('@bpfkit/syscall');
const { programFd, count } = workerData;
const pause = new Int32Array(new SharedArrayBuffer(4));
const ctx = new Uint8Array(8);
for (let i = 0; i < count; i++) {
  Atomics.wait(pause, 0, 0, 1);
  new DataView(ctx.buffer).setBigUint64(0, BigInt(i), true);
  testRun(programFd, { ctx });
}
