import {
  attachCgroup,
  attachFlowDissector,
  attachIterator,
  attachKprobe,
  attachKprobeMulti,
  attachKsyscall,
  attachNetkit,
  attachRawTracepoint,
  attachSkLookup,
  attachSocketFilter,
  attachSockmap,
  attachTc,
  attachTcx,
  attachTracepoint,
  attachTracing,
  attachUprobe,
  attachUprobeMulti,
  attachUsdt,
  attachXdp,
  attachXdpNetlink,
  type IteratorParameter,
  type Link,
  LinkError,
  NetkitSide,
  openUsdtMaps,
  type TcDirection,
  TcxDirection,
  type UsdtSpecMaps,
} from '@bpfkit/link';
import { type AttachTarget, attachTarget, type ProgramPlan } from '@bpfkit/reloc';
import { attachCookieSupported } from '@bpfkit/syscall';
import { AttachType } from '@bpfkit/uapi';

/** Where and how to attach, beyond what the section name says. */
export interface AttachOptions {
  /** Replaces the attach target of the section name (`sys_enter`, `syscalls/sys_enter_kill`, `/bin/bash:readline`). */
  readonly target?: string;
  /** Network interface for XDP, tc, tcx and netkit: a name or an ifindex. */
  readonly interface?: string | number;
  /** XDP and tc through rtnetlink instead of a link, for kernels without XDP links (5.9) or tcx (6.6). */
  readonly netlink?: boolean;
  /** For XDP: one of `XdpMode` (generic, native, hardware). */
  readonly xdpMode?: number;
  /** For plain `tc` programs (attached through netlink): which direction. */
  readonly direction?: TcDirection;
  /** SOCKMAP or SOCKHASH fd for sk_msg and sk_skb programs. */
  readonly map?: number;
  /** Network namespace file for flow_dissector and sk_lookup programs (`/proc/self/ns/net`, `/run/netns/<name>`). */
  readonly netns?: string;
  /** cgroup (v2) directory for cgroup programs. */
  readonly cgroup?: string;
  /**
   * For flow_dissector, sk_msg, sk_skb and cgroup programs: attach with BPF_PROG_ATTACH
   * instead of a link (kernels without those links; a flow dissector then attaches to the
   * calling thread's namespace, which `netns` must name).
   */
  readonly legacy?: boolean;
  /** With `legacy`, for cgroup programs: the attach mode, `CgroupAttachFlag` bits (none: one program, replaced by the next). */
  readonly cgroupFlags?: number;
  /** Socket fd for socket filters. */
  readonly socket?: number;
  /**
   * Process to probe for uprobes and USDT (-1, the default: every process). USDT in a PIE
   * executable or a shared library needs it when the kernel has no BPF cookies.
   */
  readonly pid?: number;
  /** The value `bpf_get_attach_cookie()` returns (perf-event based kinds, raw tracepoints, tracing). */
  readonly cookie?: bigint;
  /** What an iterator walks (`iter/bpf_map_elem` needs a map, `iter/cgroup` a cgroup). */
  readonly iterator?: IteratorParameter;
}

/** libbpf's names of the maps `usdt.bpf.h` reads. */
const USDT_SPECS = '__bpf_usdt_specs';
const USDT_IP_TO_SPEC = '__bpf_usdt_ip_to_spec_id';

/** An object's USDT maps, described on first use and then reused by every USDT attach of its programs. */
export type ObjectUsdtMaps = () => UsdtSpecMaps;

/**
 * The USDT maps of an object whose maps are `mapFds`, described by {@link openUsdtMaps} on
 * the first USDT attach and kept (libbpf's per-object USDT manager), so later attaches read
 * nothing back from the kernel.
 * @throws {@link @bpfkit/link!LinkError} `bad-target` when the object has no `__bpf_usdt_specs` map.
 */
export function objectUsdtMaps(mapFds: ReadonlyMap<string, { readonly fd: number }>): ObjectUsdtMaps {
  let described: UsdtSpecMaps | undefined;
  return () => {
    if (described !== undefined) return described;
    const specs = mapFds.get(USDT_SPECS)?.fd;
    const context = { kind: 'usdt' };
    if (specs === undefined) {
      throw new LinkError(
        'bad-target',
        `the object has no '${USDT_SPECS}' map: is the program built with usdt.bpf.h?`,
        context,
      );
    }
    described = openUsdtMaps({ specs, ipToSpec: mapFds.get(USDT_IP_TO_SPEC)?.fd }, context);
    return described;
  };
}

const tcxDirections = new Map<number, keyof typeof TcxDirection>([
  [TcxDirection.ingress, 'ingress'],
  [TcxDirection.egress, 'egress'],
]);

/**
 * Attaches a loaded program the way its section name says (through `@bpfkit/link`), with
 * `options` for what the name cannot say (interface, cgroup, socket). `expectedAttachType` is
 * the one the program was loaded with: a usdt program loaded with `BPF_TRACE_UPROBE_MULTI`
 * attaches through one uprobe_multi link, any other through a uprobe per site. `bpfCookies`
 * says whether USDT spec ids travel as BPF cookies or by address (the programs were told
 * which through `LINUX_HAS_BPF_COOKIE`).
 * @throws {@link @bpfkit/link!LinkError} naming the program, the target and what to do.
 */
export function attachProgram(
  plan: ProgramPlan,
  programFd: number,
  options: AttachOptions,
  usdtMaps: ObjectUsdtMaps,
  expectedAttachType?: number,
  bpfCookies = attachCookieSupported(),
): Link {
  try {
    const target = attachTarget(plan, options.target);
    return attachTo(target, plan, programFd, options, usdtMaps, expectedAttachType, bpfCookies);
  } catch (error) {
    if (LinkError.is(error) && error.context.program === undefined) {
      throw new LinkError(error.code, error.problem, { ...error.context, program: plan.name }, error.hint, {
        cause: error.cause,
      });
    }
    throw error;
  }
}

/** Fails for an attachment that needs an option the caller did not give. */
function needs(plan: ProgramPlan, kind: string, what: string): never {
  throw new LinkError('needs-option', `'${plan.section}' needs ${what}`, { kind, program: plan.name });
}

function attachTo(
  target: AttachTarget,
  plan: ProgramPlan,
  programFd: number,
  options: AttachOptions,
  usdtMaps: ObjectUsdtMaps,
  expectedAttachType: number | undefined,
  bpfCookies: boolean,
): Link {
  const cookie = options.cookie === undefined ? {} : { cookie: options.cookie };
  const legacy = options.legacy === undefined ? {} : { legacy: options.legacy };
  switch (target.kind) {
    case 'raw-tracepoint':
      return attachRawTracepoint(programFd, target.name, cookie);
    case 'tracepoint':
      return attachTracepoint(programFd, target.category, target.name, cookie);
    case 'uprobe':
      return attachUprobe(programFd, target.path, {
        function: target.function,
        offset: target.offset,
        retprobe: target.retprobe,
        ...(options.pid === undefined ? {} : { pid: options.pid }),
        ...cookie,
      });
    case 'usdt':
      return attachUsdt(programFd, target.path, target.provider, target.name, usdtMaps(), {
        cookies: bpfCookies,
        // A program loaded for uprobe_multi links attaches through nothing else.
        multi: expectedAttachType === AttachType.TRACE_UPROBE_MULTI,
        ...(options.pid === undefined ? {} : { pid: options.pid }),
        ...(options.cookie === undefined ? {} : { cookie: options.cookie }),
      });
    case 'kprobe':
      return attachKprobe(programFd, target.function, { offset: target.offset, retprobe: target.retprobe, ...cookie });
    case 'kprobe-multi':
      return attachKprobeMulti(programFd, { pattern: target.pattern, retprobe: target.retprobe });
    case 'uprobe-multi':
      return attachUprobeMulti(programFd, target.path, {
        pattern: target.pattern,
        retprobe: target.retprobe,
        ...(options.pid === undefined ? {} : { pid: options.pid }),
      });
    case 'ksyscall':
      return attachKsyscall(programFd, target.syscall, { retprobe: target.retprobe, ...cookie });
    case 'tracing':
      return attachTracing(programFd, target.attachType, cookie);
    case 'netdev': {
      if (options.interface === undefined) return needs(plan, 'netdev', "an interface: attach({ interface: 'eth0' })");
      if (target.attachType === NetkitSide.primary) return attachNetkit(programFd, options.interface, 'primary');
      if (target.attachType === NetkitSide.peer) return attachNetkit(programFd, options.interface, 'peer');
      const direction = tcxDirections.get(target.attachType);
      const mode = options.xdpMode === undefined ? {} : { mode: options.xdpMode };
      if (direction === undefined)
        return options.netlink
          ? attachXdpNetlink(programFd, options.interface, mode)
          : attachXdp(programFd, options.interface, mode);
      return options.netlink
        ? attachTc(programFd, options.interface, { direction })
        : attachTcx(programFd, options.interface, direction);
    }
    case 'tc':
      if (options.interface === undefined || options.direction === undefined)
        return needs(plan, 'tc', "an interface and a direction: attach({ interface: 'eth0', direction: 'ingress' })");
      return attachTc(programFd, options.interface, { direction: options.direction });
    case 'sockmap':
      if (options.map === undefined) return needs(plan, 'sockmap', 'a SOCKMAP or SOCKHASH: attach({ map: fd })');
      return attachSockmap(programFd, options.map, target.attachType, legacy);
    case 'netns':
      if (options.netns === undefined)
        return needs(plan, 'netns', "a network namespace: attach({ netns: '/proc/self/ns/net' })");
      return target.attachType === AttachType.FLOW_DISSECTOR
        ? attachFlowDissector(programFd, options.netns, legacy)
        : attachSkLookup(programFd, options.netns);
    case 'cgroup':
      if (options.cgroup === undefined)
        return needs(plan, 'cgroup', "a cgroup: attach({ cgroup: '/sys/fs/cgroup/…' })");
      return attachCgroup(programFd, options.cgroup, target.attachType, {
        ...legacy,
        ...(options.cgroupFlags === undefined ? {} : { flags: options.cgroupFlags }),
      });
    case 'iterator':
      return attachIterator(programFd, options.iterator);
    case 'socket':
      if (options.socket === undefined) return needs(plan, 'socket', 'a socket: attach({ socket: fd })');
      return attachSocketFilter(programFd, options.socket);
    case 'unsupported':
      throw new LinkError('bad-target', target.reason, { program: plan.name });
  }
}
