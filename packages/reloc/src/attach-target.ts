import { AttachType, ProgramType } from '@bpfkit/uapi';
import type { ProgramPlan } from './plan.js';

/** How a program attaches, decided from its section name (and any override). */
export type AttachTarget =
  | {
      /** Which attach kind this is. */
      readonly kind: 'raw-tracepoint';
      /** The raw tracepoint's name. */
      readonly name: string;
    }
  | {
      /** Which attach kind this is. */
      readonly kind: 'tracepoint';
      /** The tracepoint's category (`syscalls`, `sched`…). */
      readonly category: string;
      /** The tracepoint's name in its category. */
      readonly name: string;
    }
  | {
      /** Which attach kind this is. */
      readonly kind: 'uprobe';
      /** The binary or library to probe. */
      readonly path: string;
      /** The function symbol to probe (empty when only an offset is given). */
      readonly function: string;
      /** Byte offset past the function's start. */
      readonly offset: number;
      /** True for a return probe (`uretprobe`). */
      readonly retprobe: boolean;
    }
  | {
      /** Which attach kind this is. */
      readonly kind: 'kprobe';
      /** The kernel function to probe. */
      readonly function: string;
      /** Byte offset past the function's start. */
      readonly offset: number;
      /** True for a return probe (`kretprobe`). */
      readonly retprobe: boolean;
    }
  | {
      /** Which attach kind this is. */
      readonly kind: 'ksyscall';
      /** The system call's name, without the architecture's prefix. */
      readonly syscall: string;
      /** True for a return probe (`kretsyscall`). */
      readonly retprobe: boolean;
    }
  | {
      /** Which attach kind this is. */
      readonly kind: 'usdt';
      /** The binary holding the USDT notes. */
      readonly path: string;
      /** The probe's provider. */
      readonly provider: string;
      /** The probe's name. */
      readonly name: string;
    }
  | {
      /** Which attach kind this is. */
      readonly kind: 'kprobe-multi';
      /** Glob over kernel function names. */
      readonly pattern: string;
      /** True for return probes. */
      readonly retprobe: boolean;
    }
  | {
      /** Which attach kind this is. */
      readonly kind: 'uprobe-multi';
      /** The binary or library to probe. */
      readonly path: string;
      /** Glob over its function symbols. */
      readonly pattern: string;
      /** True for return probes. */
      readonly retprobe: boolean;
    }
  | {
      /** Tracing programs (fentry, fexit, tp_btf, lsm…) attach by their load's attach type. */
      readonly kind: 'tracing';
      /** An {@link AttachType} value. */
      readonly attachType: number;
    }
  | {
      /** XDP, tc and tcx programs: they attach to a network interface. */
      readonly kind: 'netdev';
      /** An {@link AttachType} value. */
      readonly attachType: number;
    }
  | {
      /** Plain `tc` and `classifier` programs: a cls_bpf filter on an interface, through netlink. */
      readonly kind: 'tc';
    }
  | {
      /** sk_msg and sk_skb programs: they attach to a SOCKMAP or SOCKHASH. */
      readonly kind: 'sockmap';
      /** An {@link AttachType} value. */
      readonly attachType: number;
    }
  | {
      /** flow_dissector and sk_lookup programs: they attach to a network namespace. */
      readonly kind: 'netns';
      /** An {@link AttachType} value. */
      readonly attachType: number;
    }
  | {
      /** cgroup programs: they attach to a cgroup. */
      readonly kind: 'cgroup';
      /** An {@link AttachType} value. */
      readonly attachType: number;
    }
  | {
      /** Which attach kind this is. */
      readonly kind: 'iterator';
      /** The iterator target (`task`, `bpf_map_elem`…). */
      readonly target: string;
    }
  | {
      /** Socket filters: they attach to a socket. */
      readonly kind: 'socket';
    }
  | {
      /** No attach kind fits: the program loads but cannot be attached from its section. */
      readonly kind: 'unsupported';
      /** Why, as a sentence. */
      readonly reason: string;
    };

/**
 * How `plan` attaches, by libbpf's section conventions: `raw_tp/<tp>`, `tp/<cat>/<name>`,
 * `uprobe/<path>:<function>[+offset]`, `kprobe/<function>`, XDP and tc/tcx on an interface,
 * cgroup programs on a cgroup, iterators, socket filters on a socket. `target` replaces the
 * part of the section name after the kind (libbpf's attach-target override).
 */
export function attachTarget(plan: ProgramPlan, target = plan.attachTarget): AttachTarget {
  const kind = plan.kind;
  if (kind === undefined) return { kind: 'unsupported', reason: `section '${plan.section}' names no program type` };
  const pattern = kind.pattern.replace(/[+/]$/, '');
  switch (kind.programType) {
    case ProgramType.RAW_TRACEPOINT:
    case ProgramType.RAW_TRACEPOINT_WRITABLE:
      return target === ''
        ? { kind: 'unsupported', reason: 'raw tracepoint name missing (raw_tp/<name>)' }
        : { kind: 'raw-tracepoint', name: target };
    case ProgramType.TRACEPOINT: {
      const slash = target.indexOf('/');
      if (slash <= 0) return { kind: 'unsupported', reason: `tracepoint '${target}' is not <category>/<name>` };
      return { kind: 'tracepoint', category: target.slice(0, slash), name: target.slice(slash + 1) };
    }
    case ProgramType.KPROBE: {
      const retprobe = pattern.includes('ret');
      if (pattern === 'kprobe.multi' || pattern === 'kretprobe.multi') {
        return target === ''
          ? { kind: 'unsupported', reason: `'${kind.pattern}' names no functions (kprobe.multi/<glob>)` }
          : { kind: 'kprobe-multi', pattern: target, retprobe: pattern === 'kretprobe.multi' };
      }
      if (/^u(ret)?probe\.multi(\.s)?$/.test(pattern)) {
        const match = /^(.+):([^:]+)$/.exec(target);
        return match === null
          ? { kind: 'unsupported', reason: `uprobe.multi target '${target}' is not <path>:<glob>` }
          : {
              kind: 'uprobe-multi',
              path: match[1] as string,
              pattern: match[2] as string,
              retprobe: pattern.startsWith('uretprobe'),
            };
      }
      if (pattern.startsWith('uprobe') || pattern.startsWith('uretprobe')) {
        const match = /^(.+):([^:+]+)(?:\+(0x[0-9a-f]+|\d+))?$/.exec(target);
        if (match === null)
          return { kind: 'unsupported', reason: `uprobe target '${target}' is not <path>:<function>[+offset]` };
        return {
          kind: 'uprobe',
          path: match[1] as string,
          function: match[2] as string,
          offset: Number(match[3] ?? 0),
          retprobe,
        };
      }
      if (pattern === 'ksyscall' || pattern === 'kretsyscall') {
        return /^\w+$/.test(target)
          ? { kind: 'ksyscall', syscall: target, retprobe: pattern === 'kretsyscall' }
          : { kind: 'unsupported', reason: `ksyscall target '${target}' is not a syscall name` };
      }
      if (pattern === 'usdt') {
        const match = /^(.+):([^:]+):([^:]+)$/.exec(target);
        return match === null
          ? { kind: 'unsupported', reason: `usdt target '${target}' is not <path>:<provider>:<name>` }
          : { kind: 'usdt', path: match[1] as string, provider: match[2] as string, name: match[3] as string };
      }
      if (pattern === 'kprobe' || pattern === 'kretprobe') {
        const match = /^([^+]+)(?:\+(0x[0-9a-f]+|\d+))?$/.exec(target);
        if (match === null)
          return { kind: 'unsupported', reason: `kprobe target '${target}' is not <function>[+offset]` };
        return { kind: 'kprobe', function: match[1] as string, offset: Number(match[2] ?? 0), retprobe };
      }
      return {
        kind: 'unsupported',
        reason: `'${kind.pattern}' programs are not attachable by bpfkit yet`,
      };
    }
    case ProgramType.XDP:
      return { kind: 'netdev', attachType: AttachType.XDP };
    case ProgramType.SCHED_CLS:
      // Plain 'tc' and 'classifier' programs attach as cls_bpf filters through netlink.
      return kind.expectedAttachType === undefined
        ? { kind: 'tc' }
        : { kind: 'netdev', attachType: kind.expectedAttachType };
    case ProgramType.SK_MSG:
    case ProgramType.SK_SKB:
      return kind.expectedAttachType === undefined
        ? { kind: 'unsupported', reason: `'${plan.section}' does not say which sockmap hook` }
        : { kind: 'sockmap', attachType: kind.expectedAttachType };
    case ProgramType.FLOW_DISSECTOR:
    case ProgramType.SK_LOOKUP:
      return kind.expectedAttachType === undefined
        ? { kind: 'unsupported', reason: `'${plan.section}' does not say which namespace hook` }
        : { kind: 'netns', attachType: kind.expectedAttachType };
    case ProgramType.CGROUP_SKB:
    case ProgramType.CGROUP_SOCK:
    case ProgramType.CGROUP_SOCK_ADDR:
    case ProgramType.CGROUP_SOCKOPT:
    case ProgramType.CGROUP_SYSCTL:
    case ProgramType.CGROUP_DEVICE:
    case ProgramType.SOCK_OPS:
      return kind.expectedAttachType === undefined
        ? { kind: 'unsupported', reason: `'${plan.section}' does not say which cgroup hook` }
        : { kind: 'cgroup', attachType: kind.expectedAttachType };
    case ProgramType.TRACING:
    case ProgramType.LSM:
      if (kind.expectedAttachType === AttachType.TRACE_ITER) return { kind: 'iterator', target };
      // The target was resolved to a BTF id at load; the link needs only the attach type.
      return kind.expectedAttachType === undefined || kind.expectedAttachType === AttachType.LSM_CGROUP
        ? { kind: 'unsupported', reason: `'${kind.pattern}' programs are not attachable by bpfkit yet` }
        : { kind: 'tracing', attachType: kind.expectedAttachType };
    case ProgramType.SOCKET_FILTER:
      return { kind: 'socket' };
    case ProgramType.EXT:
      // freplace: the target program and function were given at load; the link takes them from there.
      return { kind: 'tracing', attachType: 0 };
    default:
      return { kind: 'unsupported', reason: `'${kind.pattern}' programs are not attachable by bpfkit yet` };
  }
}

/**
 * Whether a program attaches from its section name alone, as a libbpf skeleton's
 * `attach()` does it: not when the target needs an interface, a cgroup or a socket, nor
 * when the section names no target (`uprobe` without a binary), nor when it needs a sockmap
 * or a network namespace.
 */
export function attachesBySection(target: AttachTarget): boolean {
  return !['netdev', 'tc', 'cgroup', 'socket', 'sockmap', 'netns', 'unsupported'].includes(target.kind);
}
