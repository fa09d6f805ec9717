// Worker-thread side of the concurrent replace test: pins a map of its own over one path,
// `rounds` times with `replace` once all threads are ready, and replies with the errors it met (none expected).
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { createMap, pinAt } = await import('../src/index.ts');

const errors = [];
const map = createMap({ type: 2, keySize: 4, valueSize: 4, maxEntries: 1 });
try {
  // Start together: count in, then wait until every thread has.
  const ready = new Int32Array(workerData.barrier);
  Atomics.add(ready, 0, 1);
  while (Atomics.load(ready, 0) < workerData.threads) Atomics.wait(ready, 0, Atomics.load(ready, 0), 10);
  for (let i = 0; i < workerData.rounds; i++) {
    try {
      pinAt(map.fd, workerData.path, { replace: true });
    } catch (error) {
      errors.push(String(error));
    }
  }
} finally {
  map.close();
}
parentPort?.postMessage(errors);
