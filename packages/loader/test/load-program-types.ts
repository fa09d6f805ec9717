// Child-process side of the landing page's capability test: loads a two-instruction program
// (r0 = 0; exit) of each program type named on the command line and prints, as JSON, 'ok'
// or the errno name and hint of the refusal for each. Run with fewer capabilities than root's.
import { BpfSyscallError, loadProgram } from '@bpfkit/syscall';
import { AttachType, ProgramType } from '@bpfkit/uapi';

/** The expected attach type a type's load must name, for the types that need one. */
const expectedAttachType: Partial<Record<string, number>> = {
  CGROUP_SOCK_ADDR: AttachType.CGROUP_INET4_CONNECT,
  SK_SKB: AttachType.SK_SKB_STREAM_VERDICT,
  SK_MSG: AttachType.SK_MSG_VERDICT,
  FLOW_DISSECTOR: AttachType.FLOW_DISSECTOR,
  SK_LOOKUP: AttachType.SK_LOOKUP,
  NETFILTER: AttachType.NETFILTER,
};

const returnZero = Uint8Array.of(0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0);
const outcomes: Record<string, string> = {};
for (const name of process.argv.slice(2)) {
  const type = ProgramType[name as keyof typeof ProgramType];
  if (type === undefined) throw new Error(`no program type ${name}`);
  const attach = expectedAttachType[name];
  try {
    loadProgram({
      type,
      instructions: returnZero,
      license: 'GPL',
      ...(attach === undefined ? {} : { expectedAttachType: attach }),
    }).fd.close();
    outcomes[name] = 'ok';
  } catch (error) {
    if (!BpfSyscallError.is(error)) throw error;
    outcomes[name] = `${error.errnoName}: ${error.hint}`;
  }
}
console.log(JSON.stringify(outcomes));
