// Child-process side of the freplace comparison in load-attributes.test.ts, as
// programs/freplace-libbpf.c does it with libbpf: loads the fixture's socket filter, then the
// same object's freplace program against it, and attaches it if the kernel loads it.
// Refusals are expected (this kernel answers EPERM); it exits 0 with what happened.
import { BpfObject } from '../src/index.js';

const [path] = process.argv.slice(2);
if (path === undefined) throw new Error('usage: freplace-once.ts FREPLACE_OBJECT');
using target = BpfObject.open(path);
target.load();
using ext = BpfObject.open(path);
for (const plan of ext.programs) {
  plan.autoload = plan.name === 'keep_all';
  if (plan.name === 'keep_all') plan.attachProgramFd = target.program('filter').fd;
}
try {
  ext.load();
  ext.program('keep_all').attach();
  console.log('load: ok, attach: ok');
} catch (error) {
  console.log(String(error));
}
