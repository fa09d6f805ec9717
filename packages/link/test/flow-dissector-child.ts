// Run by sockets.test.ts inside the test's network namespace (`ip netns exec`), with a
// flow_dissector program as fd 3: attaches it with BPF_PROG_ATTACH (which takes the
// caller's namespace), prints "attached", and on the line "detach" closes the link (BPF_PROG_DETACH) and prints "detached".
// Failures print "failed <code>: <message>" and exit 1.
import { createInterface } from 'node:readline';
import { attachFlowDissector, LinkError } from '../src/index.js';

const PROGRAM_FD = 3;

try {
  const link = attachFlowDissector(PROGRAM_FD, '/proc/self/ns/net', { legacy: true });
  console.log('attached');
  for await (const line of createInterface({ input: process.stdin })) {
    if (line !== 'detach') continue;
    link.close();
    console.log('detached');
  }
} catch (error) {
  console.log(`failed ${LinkError.is(error) ? error.code : 'error'}: ${(error as Error).message}`);
  process.exitCode = 1;
}
