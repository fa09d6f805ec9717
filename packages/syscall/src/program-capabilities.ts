import { ProgramType } from '@bpfkit/uapi';

/** Program types whose load needs CAP_PERFMON besides CAP_BPF (the kernel's tracing family). */
const perfmonProgramTypes: ReadonlySet<number> = new Set([
  ProgramType.KPROBE,
  ProgramType.TRACEPOINT,
  ProgramType.PERF_EVENT,
  ProgramType.RAW_TRACEPOINT,
  ProgramType.RAW_TRACEPOINT_WRITABLE,
  ProgramType.TRACING,
  ProgramType.LSM,
  ProgramType.STRUCT_OPS,
  ProgramType.EXT,
]);

/** Program types whose load needs CAP_NET_ADMIN besides CAP_BPF (the kernel's networking family). */
const netAdminProgramTypes: ReadonlySet<number> = new Set([
  ProgramType.SCHED_CLS,
  ProgramType.SCHED_ACT,
  ProgramType.XDP,
  ProgramType.LWT_IN,
  ProgramType.LWT_OUT,
  ProgramType.LWT_XMIT,
  ProgramType.LWT_SEG6LOCAL,
  ProgramType.SK_SKB,
  ProgramType.SK_MSG,
  ProgramType.LIRC_MODE2,
  ProgramType.FLOW_DISSECTOR,
  ProgramType.CGROUP_DEVICE,
  ProgramType.CGROUP_SOCK,
  ProgramType.CGROUP_SOCK_ADDR,
  ProgramType.CGROUP_SOCKOPT,
  ProgramType.CGROUP_SYSCTL,
  ProgramType.SOCK_OPS,
  ProgramType.EXT,
  ProgramType.NETFILTER,
]);

/**
 * The capabilities besides CAP_BPF that the kernel asks of a process loading a program of
 * `programType` (Linux 5.8+): CAP_PERFMON for tracing programs, CAP_NET_ADMIN for networking
 * ones, both for freplace (EXT); CAP_SYS_ADMIN stands in for either.
 */
export function programLoadCapabilities(programType: number): ('CAP_PERFMON' | 'CAP_NET_ADMIN')[] {
  const needed: ('CAP_PERFMON' | 'CAP_NET_ADMIN')[] = [];
  if (perfmonProgramTypes.has(programType)) needed.push('CAP_PERFMON');
  if (netAdminProgramTypes.has(programType)) needed.push('CAP_NET_ADMIN');
  return needed;
}
