// Child-process side of the load-attribute test: opens and loads one object and closes it,
// so that strace sees this process's bpf(2) calls. A refused load is expected; it exits 0.
import { BpfObject } from '../src/index.js';

const [path, pinRoot] = process.argv.slice(2);
if (path === undefined || pinRoot === undefined) throw new Error('usage: load-once.ts OBJECT PIN_ROOT');
const object = BpfObject.open(path, { pinRoot });
try {
  object.load();
} catch (error) {
  console.log(String(error));
} finally {
  object.close();
}
