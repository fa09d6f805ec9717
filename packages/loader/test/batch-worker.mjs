// Worker-thread side of the background-batch descriptor test: makes an ARRAY_OF_MAPS and
// starts slot batches on FFI pool threads (each waits an RCU grace period in the kernel),
// says so, and stays alive to be terminated while they may still run.
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { createMap, startMapUpdateBatch } = await import('../../syscall/src/index.ts');

const inner = createMap({ type: 2, keySize: 4, valueSize: 4, maxEntries: 1 });
const layout = { type: 12, keySize: 4, valueSize: 4, maxEntries: 1, innerMapFd: inner.fd };
const outer = createMap(layout);
const keys = new Uint8Array(4);
const values = new Uint8Array(Uint32Array.of(inner.fd).buffer);
globalThis.held = [inner, outer];
globalThis.batches = Array.from({ length: workerData.batches }, () =>
  startMapUpdateBatch(outer.fd, keys, values, 1, layout),
);
parentPort?.postMessage('started');
setInterval(() => {}, 1000);
