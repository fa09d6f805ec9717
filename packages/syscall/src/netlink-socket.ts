import { nativeBuffer } from './attr.js';
import { getBackend } from './backend.js';
import { Errno } from './errno.js';
import { BpfSyscallError } from './errors.js';
import { Fd } from './fd.js';

/** Netlink protocols (`NETLINK_*`) {@link openNetlinkSocket} opens. */
export const NetlinkProtocol = {
  /** `NETLINK_ROUTE`: links, addresses, qdiscs and filters (rtnetlink) */
  ROUTE: 0,
} as const;

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const SOL_NETLINK = 270;
/** Errors carry only the failing request's header back, not the whole request. */
const NETLINK_CAP_ACK = 10;
/** Errors carry the kernel's own message and the offset of the attribute it refused. */
const NETLINK_EXT_ACK = 11;
const MSG_PEEK = 0x2;
const MSG_TRUNC = 0x20;

/** How often a call interrupted by a signal (EINTR) is made again. */
const EINTR_RETRIES = 5;

function retryingEintr(call: () => number): number {
  for (let attempt = 0; ; attempt++) {
    const result = call();
    if (result !== -Errno.EINTR || attempt >= EINTR_RETRIES) return result;
  }
}

/**
 * Opens a netlink socket (`socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol)`) with
 * extended acknowledgements on, so a refused request comes back with the kernel's reason.
 * The kernel binds it to a port on the first send.
 * @throws {@link BpfSyscallError} (command `socket` or `setsockopt`); nothing stays open.
 */
export function openNetlinkSocket(protocol: number, description = 'netlink socket'): Fd {
  const b = getBackend();
  const fd = b.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
  if (fd < 0) throw new BpfSyscallError('socket(AF_NETLINK)', -fd, { object: description });
  const socket = new Fd(fd, description);
  for (const [option, name] of [
    [NETLINK_EXT_ACK, 'NETLINK_EXT_ACK'],
    [NETLINK_CAP_ACK, 'NETLINK_CAP_ACK'],
  ] as const) {
    const result = b.setsockoptInt(fd, SOL_NETLINK, option, 1);
    if (result < 0) {
      socket.close();
      throw new BpfSyscallError(`setsockopt(${name})`, -result, { object: description });
    }
  }
  return socket;
}

/**
 * Sends one netlink request (one or more messages, each with its `nlmsghdr`) to the kernel.
 * @throws {@link BpfSyscallError} (command `send`), also when the kernel took only part of it.
 */
export function sendNetlink(socketFd: number, request: Uint8Array): void {
  const sent = retryingEintr(() => getBackend().send(socketFd, request));
  if (sent < 0) throw new BpfSyscallError('send(netlink)', -sent, { object: `netlink socket fd ${socketFd}` });
  if (sent !== request.length) {
    throw new BpfSyscallError('send(netlink)', Errno.EIO, {
      object: `netlink socket fd ${socketFd}`,
      reason: `the kernel took ${sent} of ${request.length} bytes`,
    });
  }
}

/**
 * Receives the next netlink datagram (one or more messages), blocking until one arrives.
 * Its buffer is sized from the datagram itself: a peek with `MSG_TRUNC` tells the full
 * length first, so nothing is cut off however many messages the kernel packed in.
 * @throws {@link BpfSyscallError} (command `recv`).
 */
export function receiveNetlink(socketFd: number): Uint8Array {
  const b = getBackend();
  const context = { object: `netlink socket fd ${socketFd}` };
  const length = retryingEintr(() => b.receive(socketFd, nativeBuffer(0), MSG_PEEK | MSG_TRUNC));
  if (length < 0) throw new BpfSyscallError('recv(netlink)', -length, context);
  const datagram = nativeBuffer(length);
  const received = retryingEintr(() => b.receive(socketFd, datagram, 0));
  if (received < 0) throw new BpfSyscallError('recv(netlink)', -received, context);
  return datagram.subarray(0, received);
}
