// Run by sockets.test.ts inside the test's network namespace (`ip netns exec`): attaches a
// flow_dissector program with BPF_PROG_ATTACH (which takes the caller's namespace), prints
// "attached <program id>", and on the line "detach" closes the link (BPF_PROG_DETACH) and
// prints "detached". The program is fd 3, attached with attachFlowDissector; with the
// argument "loader", the link_net fixture's flow_count, loaded here and attached through
// program.attach({ legacy: true }). Failures print "failed <code>: <message>" and exit 1.
import { createInterface } from 'node:readline';
import { fixture } from '@bpfkit/fixtures';
import { BpfObject } from '@bpfkit/loader';
import { programInfo } from '@bpfkit/syscall';
import { attachFlowDissector, type Link, LinkError } from '../src/index.js';

const PROGRAM_FD = 3;
const OWN_NETNS = '/proc/self/ns/net';

/** The attachment and the attached program's id. */
function attach(): { link: Link; id: number; object?: BpfObject } {
  if (process.argv[2] !== 'loader') {
    return { link: attachFlowDissector(PROGRAM_FD, OWN_NETNS, { legacy: true }), id: programInfo(PROGRAM_FD).id };
  }
  const object = BpfObject.open(fixture('link_net').path);
  object.load();
  const program = object.program('flow_count');
  return { link: program.attach({ netns: OWN_NETNS, legacy: true }), id: program.info().id, object };
}

try {
  const { link, id, object } = attach();
  console.log(`attached ${id}`);
  for await (const line of createInterface({ input: process.stdin })) {
    if (line !== 'detach') continue;
    link.close();
    object?.close();
    console.log('detached');
  }
} catch (error) {
  console.log(`failed ${LinkError.is(error) ? error.code : 'error'}: ${(error as Error).message}`);
  process.exitCode = 1;
}
