import { duplicateFd, isLittleEndianHost } from '@bpfkit/syscall';
import { kernelStep, LinkError, type LinkErrorContext } from './errors.js';
import { Link } from './link.js';
import { interfaceIndex } from './netdev.js';
import { routeRequest } from './netlink.js';
import { attributeU32, NetlinkFlag, NetlinkRequest, netlinkAttributes } from './netlink-message.js';

const RTM_NEWLINK = 16;
const RTM_GETLINK = 18;
const RTM_SETLINK = 19;
/** Size of `struct ifinfomsg`, and where its `ifi_index` sits. */
const IFINFOMSG_SIZE = 16;
const IFINFOMSG_INDEX = 4;
/** `IFLA_XDP` and its nested attributes. */
const IFLA_XDP = 43;
const IFLA_XDP_FD = 1;
const IFLA_XDP_ATTACHED = 2;
const IFLA_XDP_FLAGS = 3;
const IFLA_XDP_PROG_ID = 4;
const IFLA_XDP_DRV_PROG_ID = 5;
const IFLA_XDP_SKB_PROG_ID = 6;
const IFLA_XDP_HW_PROG_ID = 7;
const IFLA_XDP_EXPECTED_FD = 8;
/** `XDP_FLAGS_UPDATE_IF_NOEXIST` and `XDP_FLAGS_REPLACE`. */
const XDP_FLAGS_UPDATE_IF_NOEXIST = 1 << 0;
const XDP_FLAGS_REPLACE = 1 << 4;

/** `XDP_ATTACHED_*`: how the programs on an interface are attached, as {@link queryXdp} reports. */
export const XdpAttached = {
  /** `XDP_ATTACHED_NONE`: no program */
  NONE: 0,
  /** `XDP_ATTACHED_DRV`: a native (driver) program */
  DRIVER: 1,
  /** `XDP_ATTACHED_SKB`: a generic (skb) program */
  SKB: 2,
  /** `XDP_ATTACHED_HW`: an offloaded program */
  HARDWARE: 3,
  /** `XDP_ATTACHED_MULTI`: programs in more than one mode */
  MULTI: 4,
} as const;

/** Options for {@link attachXdpNetlink}. */
export interface XdpNetlinkOptions {
  /** One of {@link XdpMode}; without one the kernel picks native where the driver has it, else generic. */
  readonly mode?: number;
  /** Replace whatever program the interface runs in this mode (by default attaching fails when there is one). */
  readonly replace?: boolean;
  /** Replace only this program (its fd): fails with EEXIST when another one is attached (`XDP_FLAGS_REPLACE`). */
  readonly expectedProgramFd?: number;
}

/** Options for {@link detachXdpNetlink}. */
export interface XdpDetachOptions {
  /** The {@link XdpMode} the program was attached in. */
  readonly mode?: number;
  /** Detach only if this program (its fd) is the one attached. */
  readonly expectedProgramFd?: number;
}

/** What an interface runs at its XDP hook, as rtnetlink reports it (0: none). */
export interface XdpQuery {
  /** One of {@link XdpAttached}. */
  readonly attached: number;
  /** The program id when one mode has a program (`IFLA_XDP_PROG_ID`). */
  readonly programId: number;
  /** The native (driver) mode's program id (`IFLA_XDP_DRV_PROG_ID`), 0 for none. */
  readonly driverProgramId: number;
  /** The generic (skb) mode's program id (`IFLA_XDP_SKB_PROG_ID`), 0 for none. */
  readonly skbProgramId: number;
  /** The offloaded program's id (`IFLA_XDP_HW_PROG_ID`), 0 for none. */
  readonly hardwareProgramId: number;
}

const attachHints = {
  EBUSY:
    'the interface has an XDP program already (or an XDP link holds it): pass replace: true, or expectedProgramFd to replace only that program; a link must be closed first',
  EEXIST:
    'the attached program is not the expected one, or another mode has a program (native and generic XDP cannot run together): queryXdp shows what is attached',
  EOPNOTSUPP:
    'the driver has no XDP in this mode: XdpMode.SKB (generic XDP) works on every interface, hardware mode needs an offloading NIC',
  EINVAL:
    'the program is not an XDP program, the mode flags conflict (give one mode), or the driver refused the mode (hardware mode needs an offloading NIC and a program loaded for it)',
  ENODEV: 'the interface disappeared; ip link lists them',
};

function interfaceMessage(type: number, flags: number, ifindex: number): NetlinkRequest {
  const ifinfomsg = new Uint8Array(IFINFOMSG_SIZE);
  new DataView(ifinfomsg.buffer).setInt32(IFINFOMSG_INDEX, ifindex, isLittleEndianHost);
  return new NetlinkRequest(type, flags, ifinfomsg);
}

/** RTM_SETLINK with IFLA_XDP: the program fd (-1 to detach), the flags, and the expected fd when given. */
function setXdp(
  what: string,
  context: LinkErrorContext,
  ifindex: number,
  programFd: number,
  flags: number,
  expectedFd?: number,
): void {
  const request = interfaceMessage(RTM_SETLINK, NetlinkFlag.REQUEST | NetlinkFlag.ACK, ifindex).nested(
    IFLA_XDP,
    (xdp) => {
      xdp.s32(IFLA_XDP_FD, programFd);
      if (flags !== 0) xdp.u32(IFLA_XDP_FLAGS, flags);
      if (expectedFd !== undefined) xdp.s32(IFLA_XDP_EXPECTED_FD, expectedFd);
    },
  );
  routeRequest(what, context, request, attachHints);
}

function replaceFlags(options: { expectedProgramFd?: number }): number {
  return options.expectedProgramFd === undefined ? 0 : XDP_FLAGS_REPLACE;
}

/**
 * Attaches an `xdp` program to interface `device` through rtnetlink (RTM_SETLINK with
 * IFLA_XDP), as `bpf_xdp_attach` does: for kernels without XDP links (before 5.9), or to
 * pick the mode and replace what is there. Unlike a link, the attachment belongs to the
 * interface: closing the returned {@link Link} detaches the program only if it is still the
 * one attached (the link keeps a duplicate of the program fd to say so).
 * @throws {@link LinkError} `not-found` for an unknown interface; `kernel` with the kernel's
 * reason (EBUSY: a program is attached already and `replace` was not given; EEXIST: the
 * attached program is not `expectedProgramFd`); `not-supported` for a mode the driver lacks.
 */
export function attachXdpNetlink(programFd: number, device: string | number, options: XdpNetlinkOptions = {}): Link {
  const context = { kind: 'xdp (netlink)', target: String(device) };
  const ifindex = interfaceIndex(device, context);
  const mode = options.mode ?? 0;
  const program = kernelStep('keep the program', context, () => duplicateFd(programFd, `xdp program on ${device}`));
  try {
    const keep = options.replace === true || options.expectedProgramFd !== undefined ? 0 : XDP_FLAGS_UPDATE_IF_NOEXIST;
    setXdp(
      'attach through netlink',
      context,
      ifindex,
      program.fd,
      mode | keep | replaceFlags(options),
      options.expectedProgramFd,
    );
  } catch (error) {
    program.close();
    throw error;
  }
  return new Link('xdp (netlink)', undefined, [], () => {
    try {
      setXdp('detach on close', context, ifindex, -1, mode | XDP_FLAGS_REPLACE, program.fd);
    } catch (error) {
      // Replaced by someone else (EEXIST), or the interface is gone (ENODEV): nothing of ours to detach.
      if (!LinkError.is(error) || (error.context.errno !== 'EEXIST' && error.context.errno !== 'ENODEV')) throw error;
    } finally {
      program.close();
    }
  });
}

/**
 * Detaches the XDP program of interface `device` in `mode` through rtnetlink, as
 * `bpf_xdp_detach` does (only if it is `expectedProgramFd`, when given).
 * @throws {@link LinkError} as {@link attachXdpNetlink}; EBUSY when an XDP link holds the hook.
 */
export function detachXdpNetlink(device: string | number, options: XdpDetachOptions = {}): void {
  const context = { kind: 'xdp (netlink)', target: String(device) };
  const ifindex = interfaceIndex(device, context);
  setXdp(
    'detach through netlink',
    context,
    ifindex,
    -1,
    (options.mode ?? 0) | replaceFlags(options),
    options.expectedProgramFd,
  );
}

/**
 * Which XDP programs interface `device` runs, in which mode (RTM_GETLINK, IFLA_XDP), as
 * `bpf_xdp_query` reports them; attachments through XDP links included.
 * @throws {@link LinkError} `not-found` for an unknown interface.
 */
export function queryXdp(device: string | number): XdpQuery {
  const context = { kind: 'xdp (netlink)', target: String(device) };
  const ifindex = interfaceIndex(device, context);
  const reply = routeRequest(
    'query XDP',
    context,
    interfaceMessage(RTM_GETLINK, NetlinkFlag.REQUEST | NetlinkFlag.ACK, ifindex),
    attachHints,
  );
  const link = reply.find((message) => message.type === RTM_NEWLINK);
  if (link === undefined) throw new LinkError('kernel', 'query XDP: the kernel sent no link message', context);
  const xdp = netlinkAttributes(
    netlinkAttributes(link.body.subarray(IFINFOMSG_SIZE)).get(IFLA_XDP) ?? new Uint8Array(),
  );
  const id = (type: number) => attributeU32(xdp.get(type)) ?? 0;
  return {
    attached: xdp.get(IFLA_XDP_ATTACHED)?.[0] ?? XdpAttached.NONE,
    programId: id(IFLA_XDP_PROG_ID),
    driverProgramId: id(IFLA_XDP_DRV_PROG_ID),
    skbProgramId: id(IFLA_XDP_SKB_PROG_ID),
    hardwareProgramId: id(IFLA_XDP_HW_PROG_ID),
  };
}
