// Child-process side of the tracefs test, run in a mount namespace without tracefs: loads
// the attach fixture and attaches its tracepoint program (after mountTracefs() when asked
// with 'mount'), then prints, as JSON, how the attach ended and whether tracefs is mounted.
import { readFileSync } from 'node:fs';
import { fixture } from '@bpfkit/fixtures';
import { LinkError, mountTracefs } from '@bpfkit/link';
import { BpfObject } from '../src/index.js';

const tracefsMounted = () => readFileSync('/proc/self/mounts', 'utf8').includes(' tracefs ');
const mountFirst = process.argv[2] === 'mount';
using obj = BpfObject.open(fixture('attach').path);
obj.load();
const before = tracefsMounted();
if (mountFirst) mountTracefs();
let outcome: Record<string, unknown>;
try {
  obj.program('count_kill').attach();
  outcome = { attached: true };
} catch (error) {
  if (!LinkError.is(error)) throw error;
  outcome = { attached: false, code: error.code, message: error.message, hint: error.hint };
}
console.log(JSON.stringify({ before, ...outcome, after: tracefsMounted() }));
