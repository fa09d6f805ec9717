// Worker-thread side of the concurrent replace test: pins a map of its own over one path,
// `rounds` times with `replace` once all threads are ready, and replies with the errors it met (none expected).
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { BpfObject } = await import('../src/index.ts');
const { fixture } = await import('@bpfkit/fixtures');

const errors = [];
const obj = BpfObject.open(fixture('globals_subprogs').path);
try {
  obj.load();
  // Start together: count in, then wait until every thread has.
  const ready = new Int32Array(workerData.barrier);
  Atomics.add(ready, 0, 1);
  while (Atomics.load(ready, 0) < workerData.threads) Atomics.wait(ready, 0, Atomics.load(ready, 0), 10);
  for (let i = 0; i < workerData.rounds; i++) {
    try {
      obj.map('.data').pin(workerData.path, { replace: true });
    } catch (error) {
      errors.push(String(error));
    }
  }
} finally {
  obj.close();
}
parentPort?.postMessage(errors);
