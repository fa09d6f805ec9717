import { isLittleEndianHost, programInfo } from '@bpfkit/syscall';
import { kernelStep, LinkError, type LinkErrorContext } from './errors.js';
import { Link } from './link.js';
import { interfaceIndex } from './netdev.js';
import { routeRequest } from './netlink.js';
import {
  attributeU32,
  NetlinkFlag,
  type NetlinkMessage,
  type NetlinkRequest,
  netlinkAttributes,
} from './netlink-message.js';
import {
  createTcHook,
  TCA_KIND,
  TCMSG_HANDLE,
  TCMSG_INFO,
  TCMSG_SIZE,
  type TcDirection,
  TcHookParent,
  tcRequest,
} from './tc-hook.js';

const RTM_NEWTFILTER = 44;
const RTM_DELTFILTER = 45;
const RTM_GETTFILTER = 46;
const TCA_OPTIONS = 2;
/** `TCA_BPF_*` options of the cls_bpf classifier. */
const TCA_BPF_FD = 6;
const TCA_BPF_NAME = 7;
const TCA_BPF_FLAGS = 8;
const TCA_BPF_ID = 11;
/** `TCA_BPF_FLAG_ACT_DIRECT`: the program's return value is the action (TC_ACT_*). */
const TCA_BPF_FLAG_ACT_DIRECT = 1;
/** `htons(ETH_P_ALL)`, the protocol the filter matches, in the low 16 bits of `tcm_info`. */
const ETH_P_ALL_NETWORK_ORDER = isLittleEndianHost ? 0x0300 : 0x0003;

/** Where a tc filter sits: direction, handle and priority (libbpf's `bpf_tc_hook` + `bpf_tc_opts`). */
export interface TcFilterPlace {
  /** `ingress` or `egress`: the clsact hook the filter sits on. */
  readonly direction: TcDirection;
  /** The filter's handle; 0 when attaching lets the kernel pick one. */
  readonly handle?: number;
  /** The filter's priority (1–65535, lower runs first); 0 when attaching lets the kernel pick one. */
  readonly priority?: number;
}

/** Options for {@link attachTc}. */
export interface TcOptions extends TcFilterPlace {
  /** Replace the filter at this handle and priority (by default attaching there fails with EEXIST). */
  readonly replace?: boolean;
}

/** A tc filter as the kernel reports it. */
export interface TcFilter {
  /** The filter's handle. */
  readonly handle: number;
  /** The filter's priority (lower runs first). */
  readonly priority: number;
  /** The id of the program the filter runs. */
  readonly programId: number;
}

/**
 * A program attached as a tc filter: where it sits, to query or detach it. Closing it
 * deletes the filter, if it still runs the program it was created with.
 */
export class TcLink extends Link {
  /** @internal built by {@link attachTc} */
  constructor(
    /** The interface index. */
    readonly ifindex: number,
    /** Where the filter sits, with the handle and priority the kernel chose. */
    readonly place: Required<TcFilterPlace>,
    release: () => void,
  ) {
    super('tc (netlink)', undefined, [], release);
  }
}

const attachHints = {
  EEXIST: 'a filter has this handle and priority already: pass replace: true, or another handle or priority',
  EINVAL: 'the program is not a tc (sched_cls) program, or the handle or priority is out of range',
};
/** For a filter looked up by handle and priority: EINVAL when nothing is left at that priority, ENOENT for a handle not there. */
const lookupHints = {
  ENOENT: 'no filter with this handle at this priority: TcLink.place says where a filter was attached',
  EINVAL:
    'no filter at this priority in this direction, or no clsact qdisc on the interface: TcLink.place says where a filter was attached',
};

function contextOf(device: string | number, direction: TcDirection): LinkErrorContext {
  return { kind: `tc/${direction} (netlink)`, target: String(device) };
}

/** The filter in a reply to a request with NLM_F_ECHO or RTM_GETTFILTER. */
function filterOf(reply: NetlinkMessage[], what: string, context: LinkErrorContext): TcFilter {
  const message = reply.find((m) => m.type === RTM_NEWTFILTER && m.body.length >= TCMSG_SIZE);
  if (message === undefined) throw new LinkError('kernel', `${what}: the kernel sent no filter back`, context);
  const tcmsg = new DataView(message.body.buffer, message.body.byteOffset, TCMSG_SIZE);
  const options = netlinkAttributes(
    netlinkAttributes(message.body.subarray(TCMSG_SIZE)).get(TCA_OPTIONS) ?? new Uint8Array(),
  );
  return {
    handle: tcmsg.getUint32(TCMSG_HANDLE, isLittleEndianHost),
    priority: tcmsg.getUint32(TCMSG_INFO, isLittleEndianHost) >>> 16,
    programId: attributeU32(options.get(TCA_BPF_ID)) ?? 0,
  };
}

function requirePlace(place: TcFilterPlace, context: LinkErrorContext): void {
  if (!place.handle || !place.priority)
    throw new LinkError('needs-option', 'a filter is named by its handle and priority: give both', context);
}

/** A request of `type` about the bpf filter at `place` on `ifindex`. */
function filterRequest(type: number, flags: number, ifindex: number, place: TcFilterPlace): NetlinkRequest {
  return tcRequest(type, NetlinkFlag.REQUEST | NetlinkFlag.ACK | flags, {
    ifindex,
    handle: place.handle ?? 0,
    parent: TcHookParent[place.direction],
    info: ((place.priority ?? 0) << 16) | ETH_P_ALL_NETWORK_ORDER,
  }).string(TCA_KIND, 'bpf');
}

/** RTM_GETTFILTER for the bpf filter at `place`. */
function getFilter(ifindex: number, place: TcFilterPlace, context: LinkErrorContext): TcFilter {
  const reply = routeRequest(
    'query the tc filter',
    context,
    filterRequest(RTM_GETTFILTER, 0, ifindex, place),
    lookupHints,
  );
  return filterOf(reply, 'query the tc filter', context);
}

/** RTM_DELTFILTER for the filter at `place`. */
function deleteFilter(ifindex: number, place: TcFilterPlace, context: LinkErrorContext): void {
  routeRequest('delete the tc filter', context, filterRequest(RTM_DELTFILTER, 0, ifindex, place), lookupHints);
}

/**
 * Attaches a `tc` (sched_cls) program to interface `device` as a `cls_bpf` filter in
 * direct-action mode on its clsact hook (adding the clsact qdisc when missing, which stays),
 * through rtnetlink, as `bpf_tc_hook_create` + `bpf_tc_attach` do: for kernels without tcx
 * (before 6.6). The returned {@link TcLink} says the handle and priority the kernel chose.
 * @throws {@link LinkError} `not-found` for an unknown interface; `kernel` with the kernel's
 * reason (EEXIST: a filter has that handle and priority and `replace` was not given).
 */
export function attachTc(programFd: number, device: string | number, options: TcOptions): TcLink {
  const context = contextOf(device, options.direction);
  const ifindex = interfaceIndex(device, context);
  const program = kernelStep('read the program', context, () => programInfo(programFd));
  createTcHook(ifindex);
  const request = filterRequest(
    RTM_NEWTFILTER,
    NetlinkFlag.ECHO | NetlinkFlag.CREATE | (options.replace ? NetlinkFlag.REPLACE : NetlinkFlag.EXCL),
    ifindex,
    options,
  ).nested(TCA_OPTIONS, (bpf) =>
    bpf
      .u32(TCA_BPF_FD, programFd)
      .string(TCA_BPF_NAME, `${program.name}:[${program.id}]`)
      .u32(TCA_BPF_FLAGS, TCA_BPF_FLAG_ACT_DIRECT),
  );
  const filter = filterOf(
    routeRequest('attach the tc filter', context, request, attachHints),
    'attach the tc filter',
    context,
  );
  const place = { direction: options.direction, handle: filter.handle, priority: filter.priority };
  return new TcLink(ifindex, place, () => {
    try {
      // Only our own filter: someone may have replaced it, or deleted the qdisc (and it) meanwhile.
      if (getFilter(ifindex, place, context).programId === program.id) deleteFilter(ifindex, place, context);
    } catch (error) {
      if (!LinkError.is(error) || !['ENOENT', 'ENODEV', 'EINVAL'].includes(error.context.errno ?? '')) throw error;
    }
  });
}

/**
 * The bpf filter at `place` (handle and priority both given) on interface `device`, as
 * `bpf_tc_query` reports it.
 * @throws {@link LinkError} `needs-option` without a handle or priority; `kernel` (EINVAL) when
 * nothing is attached at that priority, `not-found` (ENOENT) when the handle is not there.
 */
export function queryTc(device: string | number, place: TcFilterPlace): TcFilter {
  const context = contextOf(device, place.direction);
  requirePlace(place, context);
  return getFilter(interfaceIndex(device, context), place, context);
}

/**
 * Deletes the bpf filter at `place` (handle and priority both given) on interface `device`,
 * as `bpf_tc_detach` does.
 * @throws {@link LinkError} `needs-option` without a handle or priority; `kernel` (EINVAL) when
 * nothing is attached at that priority, `not-found` (ENOENT) when the handle is not there.
 */
export function detachTc(device: string | number, place: TcFilterPlace): void {
  const context = contextOf(device, place.direction);
  requirePlace(place, context);
  deleteFilter(interfaceIndex(device, context), place, context);
}
