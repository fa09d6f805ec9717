// Worker-thread side of the waiter test: opens a reader on the ring buffer map fd it is given
// (fds are per process), says it waits, and once woken replies with the records it read and
// how many fds its reader left open after closing.
import { readdirSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { openRingBuffer, sharedWaiter } = await import('../src/index.ts');

const fds = () => readdirSync('/proc/self/fd').length;
const before = fds();
const rb = openRingBuffer(workerData.mapFd);
const readable = rb.readable();
parentPort.postMessage('waiting');
await readable;
const seen = [];
rb.consume((view) => seen.push(view.u32(0)));
rb.close();
await sharedWaiter().idle();
parentPort.postMessage({ seen, fds: fds() - before });
