import { AttachType as A, ProgramType as P } from '@bpfkit/uapi';
import { ProgramFlag } from './program-types.js';

/** What a program's ELF section name says about it, by libbpf's conventions. */
export interface SectionKind {
  /** `BPF_PROG_TYPE_*`. */
  readonly programType: number;
  /** `BPF_*` expected attach type, when the kind has one. */
  readonly expectedAttachType: number | undefined;
  /** `BPF_F_*` load flags (sleepable, XDP frags). */
  readonly flags: number;
  /** What follows the kind's prefix (`sys_enter` of `raw_tp/sys_enter`), the attach target. */
  readonly target: string;
  /** False when the section name starts with `?` (autoload off). */
  readonly autoload: boolean;
  /** The matched table entry, e.g. `raw_tp+`. */
  readonly pattern: string;
}

/**
 * libbpf's section table: `X+` matches `X` or `X/…`, `X/` is a prefix, anything else is
 * exact; the first match wins. Sleepable and frags variants set their load flags.
 */
const table: readonly (readonly [string, number, number | undefined, number?])[] = [
  ['socket', P.SOCKET_FILTER, undefined],
  ['sk_reuseport/migrate', P.SK_REUSEPORT, A.SK_REUSEPORT_SELECT_OR_MIGRATE],
  ['sk_reuseport', P.SK_REUSEPORT, A.SK_REUSEPORT_SELECT],
  ['kprobe+', P.KPROBE, undefined],
  ['uprobe+', P.KPROBE, undefined],
  ['uprobe.s+', P.KPROBE, undefined, ProgramFlag.SLEEPABLE],
  ['kretprobe+', P.KPROBE, undefined],
  ['uretprobe+', P.KPROBE, undefined],
  ['uretprobe.s+', P.KPROBE, undefined, ProgramFlag.SLEEPABLE],
  ['kprobe.multi+', P.KPROBE, A.TRACE_KPROBE_MULTI],
  ['kretprobe.multi+', P.KPROBE, A.TRACE_KPROBE_MULTI],
  ['kprobe.session+', P.KPROBE, A.TRACE_KPROBE_SESSION],
  ['uprobe.multi+', P.KPROBE, A.TRACE_UPROBE_MULTI],
  ['uretprobe.multi+', P.KPROBE, A.TRACE_UPROBE_MULTI],
  ['uprobe.multi.s+', P.KPROBE, A.TRACE_UPROBE_MULTI, ProgramFlag.SLEEPABLE],
  ['uretprobe.multi.s+', P.KPROBE, A.TRACE_UPROBE_MULTI, ProgramFlag.SLEEPABLE],
  ['uprobe.session+', P.KPROBE, A.TRACE_UPROBE_SESSION],
  ['uprobe.session.s+', P.KPROBE, A.TRACE_UPROBE_SESSION, ProgramFlag.SLEEPABLE],
  ['ksyscall+', P.KPROBE, undefined],
  ['kretsyscall+', P.KPROBE, undefined],
  ['usdt+', P.KPROBE, undefined],
  ['usdt.s+', P.KPROBE, undefined, ProgramFlag.SLEEPABLE],
  ['tc/ingress', P.SCHED_CLS, A.TCX_INGRESS],
  ['tc/egress', P.SCHED_CLS, A.TCX_EGRESS],
  ['tcx/ingress', P.SCHED_CLS, A.TCX_INGRESS],
  ['tcx/egress', P.SCHED_CLS, A.TCX_EGRESS],
  ['tc', P.SCHED_CLS, undefined],
  ['classifier', P.SCHED_CLS, undefined],
  ['action', P.SCHED_ACT, undefined],
  ['netkit/primary', P.SCHED_CLS, A.NETKIT_PRIMARY],
  ['netkit/peer', P.SCHED_CLS, A.NETKIT_PEER],
  ['tracepoint+', P.TRACEPOINT, undefined],
  ['tp+', P.TRACEPOINT, undefined],
  ['raw_tracepoint+', P.RAW_TRACEPOINT, undefined],
  ['raw_tp+', P.RAW_TRACEPOINT, undefined],
  ['raw_tracepoint.w+', P.RAW_TRACEPOINT_WRITABLE, undefined],
  ['raw_tp.w+', P.RAW_TRACEPOINT_WRITABLE, undefined],
  ['tp_btf+', P.TRACING, A.TRACE_RAW_TP],
  ['fentry+', P.TRACING, A.TRACE_FENTRY],
  ['fmod_ret+', P.TRACING, A.MODIFY_RETURN],
  ['fexit+', P.TRACING, A.TRACE_FEXIT],
  ['fentry.s+', P.TRACING, A.TRACE_FENTRY, ProgramFlag.SLEEPABLE],
  ['fmod_ret.s+', P.TRACING, A.MODIFY_RETURN, ProgramFlag.SLEEPABLE],
  ['fexit.s+', P.TRACING, A.TRACE_FEXIT, ProgramFlag.SLEEPABLE],
  ['freplace+', P.EXT, undefined],
  ['lsm+', P.LSM, A.LSM_MAC],
  ['lsm.s+', P.LSM, A.LSM_MAC, ProgramFlag.SLEEPABLE],
  ['lsm_cgroup+', P.LSM, A.LSM_CGROUP],
  ['iter+', P.TRACING, A.TRACE_ITER],
  ['iter.s+', P.TRACING, A.TRACE_ITER, ProgramFlag.SLEEPABLE],
  ['syscall', P.SYSCALL, undefined, ProgramFlag.SLEEPABLE],
  ['xdp.frags/devmap', P.XDP, A.XDP_DEVMAP, ProgramFlag.XDP_HAS_FRAGS],
  ['xdp/devmap', P.XDP, A.XDP_DEVMAP],
  ['xdp.frags/cpumap', P.XDP, A.XDP_CPUMAP, ProgramFlag.XDP_HAS_FRAGS],
  ['xdp/cpumap', P.XDP, A.XDP_CPUMAP],
  ['xdp.frags', P.XDP, A.XDP, ProgramFlag.XDP_HAS_FRAGS],
  ['xdp', P.XDP, A.XDP],
  ['perf_event', P.PERF_EVENT, undefined],
  ['lwt_in', P.LWT_IN, undefined],
  ['lwt_out', P.LWT_OUT, undefined],
  ['lwt_xmit', P.LWT_XMIT, undefined],
  ['lwt_seg6local', P.LWT_SEG6LOCAL, undefined],
  ['sockops', P.SOCK_OPS, A.CGROUP_SOCK_OPS],
  ['sk_skb/stream_parser', P.SK_SKB, A.SK_SKB_STREAM_PARSER],
  ['sk_skb/stream_verdict', P.SK_SKB, A.SK_SKB_STREAM_VERDICT],
  ['sk_skb/verdict', P.SK_SKB, A.SK_SKB_VERDICT],
  ['sk_skb', P.SK_SKB, undefined],
  ['sk_msg', P.SK_MSG, A.SK_MSG_VERDICT],
  ['lirc_mode2', P.LIRC_MODE2, A.LIRC_MODE2],
  ['flow_dissector', P.FLOW_DISSECTOR, A.FLOW_DISSECTOR],
  ['cgroup_skb/ingress', P.CGROUP_SKB, A.CGROUP_INET_INGRESS],
  ['cgroup_skb/egress', P.CGROUP_SKB, A.CGROUP_INET_EGRESS],
  ['cgroup/skb', P.CGROUP_SKB, undefined],
  ['cgroup/sock_create', P.CGROUP_SOCK, A.CGROUP_INET_SOCK_CREATE],
  ['cgroup/sock_release', P.CGROUP_SOCK, A.CGROUP_INET_SOCK_RELEASE],
  ['cgroup/sock', P.CGROUP_SOCK, A.CGROUP_INET_SOCK_CREATE],
  ['cgroup/post_bind4', P.CGROUP_SOCK, A.CGROUP_INET4_POST_BIND],
  ['cgroup/post_bind6', P.CGROUP_SOCK, A.CGROUP_INET6_POST_BIND],
  ['cgroup/bind4', P.CGROUP_SOCK_ADDR, A.CGROUP_INET4_BIND],
  ['cgroup/bind6', P.CGROUP_SOCK_ADDR, A.CGROUP_INET6_BIND],
  ['cgroup/connect4', P.CGROUP_SOCK_ADDR, A.CGROUP_INET4_CONNECT],
  ['cgroup/connect6', P.CGROUP_SOCK_ADDR, A.CGROUP_INET6_CONNECT],
  ['cgroup/connect_unix', P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_CONNECT],
  ['cgroup/sendmsg4', P.CGROUP_SOCK_ADDR, A.CGROUP_UDP4_SENDMSG],
  ['cgroup/sendmsg6', P.CGROUP_SOCK_ADDR, A.CGROUP_UDP6_SENDMSG],
  ['cgroup/sendmsg_unix', P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_SENDMSG],
  ['cgroup/recvmsg4', P.CGROUP_SOCK_ADDR, A.CGROUP_UDP4_RECVMSG],
  ['cgroup/recvmsg6', P.CGROUP_SOCK_ADDR, A.CGROUP_UDP6_RECVMSG],
  ['cgroup/recvmsg_unix', P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_RECVMSG],
  ['cgroup/getpeername4', P.CGROUP_SOCK_ADDR, A.CGROUP_INET4_GETPEERNAME],
  ['cgroup/getpeername6', P.CGROUP_SOCK_ADDR, A.CGROUP_INET6_GETPEERNAME],
  ['cgroup/getpeername_unix', P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_GETPEERNAME],
  ['cgroup/getsockname4', P.CGROUP_SOCK_ADDR, A.CGROUP_INET4_GETSOCKNAME],
  ['cgroup/getsockname6', P.CGROUP_SOCK_ADDR, A.CGROUP_INET6_GETSOCKNAME],
  ['cgroup/getsockname_unix', P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_GETSOCKNAME],
  ['cgroup/sysctl', P.CGROUP_SYSCTL, A.CGROUP_SYSCTL],
  ['cgroup/getsockopt', P.CGROUP_SOCKOPT, A.CGROUP_GETSOCKOPT],
  ['cgroup/setsockopt', P.CGROUP_SOCKOPT, A.CGROUP_SETSOCKOPT],
  ['cgroup/dev', P.CGROUP_DEVICE, A.CGROUP_DEVICE],
  ['struct_ops+', P.STRUCT_OPS, undefined],
  ['struct_ops.s+', P.STRUCT_OPS, undefined, ProgramFlag.SLEEPABLE],
  ['sk_lookup', P.SK_LOOKUP, A.SK_LOOKUP],
  ['netfilter', P.NETFILTER, A.NETFILTER],
];

/** The table with each pattern taken apart once: `x+` (x or x/target), `x/` (prefix) or exact. */
const matchers = table.map(([pattern, programType, expectedAttachType, flags]) => {
  const match = pattern.endsWith('+') ? 'plus' : pattern.endsWith('/') ? 'prefix' : 'exact';
  return {
    match,
    base: match === 'plus' ? pattern.slice(0, -1) : pattern,
    pattern,
    programType,
    expectedAttachType,
    flags: flags ?? 0,
  } as const;
});

/**
 * The matchers a name starting with character code `first` can match, in table order (the
 * first match wins): those whose base starts with that character. Made on first use per
 * character, so a name is compared with a handful of patterns, not the whole table.
 */
const matchersByFirst = new Map<number, (typeof matchers)[number][]>();

function matchersFor(first: number): readonly (typeof matchers)[number][] {
  let found = matchersByFirst.get(first);
  if (found === undefined) {
    found = matchers.filter(({ base }) => base.length === 0 || base.charCodeAt(0) === first);
    matchersByFirst.set(first, found);
  }
  return found;
}

/** The patterns of libbpf's section table, for listing what names are understood. */
export const knownSectionPatterns: readonly string[] = table.map(([pattern]) => pattern);

/**
 * What a program section name means: program type, expected attach type, load flags,
 * attach target and autoload; `undefined` when no convention matches.
 */
export function classifySection(sectionName: string): SectionKind | undefined {
  const autoload = !sectionName.startsWith('?');
  const name = autoload ? sectionName : sectionName.slice(1);
  for (const { match, base, pattern, programType, expectedAttachType, flags } of matchersFor(name.charCodeAt(0))) {
    let target: string | undefined;
    if (match === 'exact') {
      if (name === base) target = '';
    } else if (match === 'prefix') {
      if (name.startsWith(base)) target = name.slice(base.length);
    } else if (name.startsWith(base)) {
      // `name+`: the bare name, or `name/target`.
      if (name.length === base.length) target = '';
      else if (name.charCodeAt(base.length) === 0x2f) target = name.slice(base.length + 1);
    }
    if (target !== undefined) return { programType, expectedAttachType, flags, target, autoload, pattern };
  }
  return undefined;
}
