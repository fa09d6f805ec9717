import { isLittleEndianHost } from '@bpfkit/syscall';
import { LinkError } from './errors.js';
import { interfaceIndex } from './netdev.js';
import { routeRequest } from './netlink.js';
import { NetlinkFlag, NetlinkRequest } from './netlink-message.js';

const RTM_NEWQDISC = 36;
const RTM_DELQDISC = 37;
/** `TCA_KIND`: the qdisc or classifier name. */
export const TCA_KIND = 1;
/** `struct tcmsg`: its size, and where `tcm_ifindex`, `tcm_handle`, `tcm_parent` and `tcm_info` sit. */
export const TCMSG_SIZE = 20;
export const TCMSG_HANDLE = 8;
export const TCMSG_INFO = 16;
const TCMSG_IFINDEX = 4;
const TCMSG_PARENT = 12;
/** `TC_H_CLSACT` (the clsact qdisc's parent) and the clsact qdisc's own handle, `TC_H_MAKE(TC_H_CLSACT, 0)`. */
const TC_H_CLSACT = 0xfffffff1;
const CLSACT_HANDLE = 0xffff0000;

/** The parent of filters on the clsact hook, by direction: `TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS or _EGRESS)`. */
export const TcHookParent = { ingress: 0xfffffff2, egress: 0xfffffff3 } as const;

/** A tc direction: packets arriving at (`ingress`) or leaving (`egress`) an interface. */
export type TcDirection = keyof typeof TcHookParent;

/** The fields of a `struct tcmsg`. */
export interface TcMessageFields {
  readonly ifindex: number;
  readonly handle: number;
  readonly parent: number;
  readonly info?: number;
}

/** A netlink request of `type` whose family header is a `struct tcmsg` with `fields`. */
export function tcRequest(type: number, flags: number, fields: TcMessageFields): NetlinkRequest {
  const tcmsg = new Uint8Array(TCMSG_SIZE);
  const view = new DataView(tcmsg.buffer);
  view.setInt32(TCMSG_IFINDEX, fields.ifindex, isLittleEndianHost);
  view.setUint32(TCMSG_HANDLE, fields.handle >>> 0, isLittleEndianHost);
  view.setUint32(TCMSG_PARENT, fields.parent >>> 0, isLittleEndianHost);
  view.setUint32(TCMSG_INFO, (fields.info ?? 0) >>> 0, isLittleEndianHost);
  return new NetlinkRequest(type, flags, tcmsg);
}

const createHints = {
  EINVAL: 'another qdisc (ingress) holds the hook; tc qdisc show dev <interface> lists it',
  ENOENT: 'this kernel has no clsact qdisc (CONFIG_NET_SCH_INGRESS)',
};
const destroyHints = {
  EINVAL: 'the interface has no clsact qdisc (tc qdisc show dev <interface> lists its qdiscs)',
  ENOENT: 'the interface has no clsact qdisc (tc qdisc show dev <interface> lists its qdiscs)',
};

function clsact(
  type: number,
  flags: number,
  device: string | number,
  what: string,
  hints: Readonly<Record<string, string>>,
): void {
  const context = { kind: 'tc (netlink)', target: String(device) };
  const ifindex = interfaceIndex(device, context);
  const request = tcRequest(type, NetlinkFlag.REQUEST | NetlinkFlag.ACK | flags, {
    ifindex,
    handle: CLSACT_HANDLE,
    parent: TC_H_CLSACT,
  }).string(TCA_KIND, 'clsact');
  routeRequest(what, context, request, hints);
}

/**
 * Adds the `clsact` qdisc to interface `device` (RTM_NEWQDISC), the hook tc filters
 * attach to in both directions, as `bpf_tc_hook_create` does. Returns false when the
 * interface has one already.
 * @throws {@link LinkError} `not-found` for an unknown interface, `kernel` when refused.
 */
export function createTcHook(device: string | number): boolean {
  try {
    clsact(RTM_NEWQDISC, NetlinkFlag.CREATE | NetlinkFlag.EXCL, device, 'create the clsact qdisc', createHints);
    return true;
  } catch (error) {
    if (LinkError.is(error) && error.context.errno === 'EEXIST') return false;
    throw error;
  }
}

/**
 * Deletes the `clsact` qdisc of interface `device` (RTM_DELQDISC) and with it every tc
 * filter attached in either direction, as `bpf_tc_hook_destroy` does for both directions.
 * @throws {@link LinkError} `kernel` (EINVAL, 'Invalid handle') when the interface has no clsact qdisc.
 */
export function destroyTcHook(device: string | number): void {
  clsact(RTM_DELQDISC, 0, device, 'delete the clsact qdisc', destroyHints);
}
