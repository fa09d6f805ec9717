// Worker-thread side of the descriptor tests: loads an object, says so, and then either
// stays alive holding it (to be terminated) or ends without closing it (`end`); a failed
// load is reported as `{ error }`.
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { BpfObject } = await import('../src/index.ts');
const { fixture } = await import('@bpfkit/fixtures');

const obj = BpfObject.open(fixture(workerData.fixture).path);
try {
  obj.load();
} catch (error) {
  const { name, code, message, hint } = error.cause ?? error;
  parentPort?.postMessage({ error: { name, code, message, hint } });
  process.exit(0);
}
globalThis.held = obj;
parentPort?.postMessage('loaded');
if (!workerData.end) setInterval(() => {}, 1000);
