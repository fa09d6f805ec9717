import {
  errnoName,
  isLittleEndianHost,
  NetlinkProtocol,
  openNetlinkSocket,
  receiveNetlink,
  sendNetlink,
} from '@bpfkit/syscall';
import { kernelStep, LinkError, type LinkErrorContext } from './errors.js';
import {
  attributeString,
  attributeU32,
  NetlinkFlag,
  type NetlinkMessage,
  type NetlinkRequest,
  NLMSG_DONE,
  NLMSG_ERROR,
  netlinkAttributes,
  netlinkMessages,
} from './netlink-message.js';

/** `NLMSGERR_ATTR_MSG` and `NLMSGERR_ATTR_OFFS`: the kernel's reason, and where in the request it looked. */
const NLMSGERR_ATTR_MSG = 1;
const NLMSGERR_ATTR_OFFS = 2;
/** `int error` and the echoed `nlmsghdr` (only the header: NETLINK_CAP_ACK) before the ack attributes. */
const ERROR_ACK_TLVS_AT = 4 + 16;

/** Hints by errno name, for what a refusal means at one call site (`EBUSY`: a program is attached already). */
export type NetlinkHints = Readonly<Record<string, string>>;

let lastSequence = 0;

/**
 * Sends `request` on a fresh NETLINK_ROUTE socket and returns the messages of the reply
 * up to the kernel's acknowledgement (or the end of a dump), closing the socket either way.
 * @throws {@link LinkError} for a refusal: code `not-supported` (EOPNOTSUPP), `not-found`
 * (ENODEV, ENOENT) or `kernel`, with the errno in the context, the kernel's extended-ack
 * message in the text and the hint `hints` gives for that errno.
 */
export function routeRequest(
  what: string,
  context: LinkErrorContext,
  request: NetlinkRequest,
  hints: NetlinkHints = {},
): NetlinkMessage[] {
  const socket = kernelStep(`${what}: open a netlink socket`, context, () =>
    openNetlinkSocket(NetlinkProtocol.ROUTE, `rtnetlink (${what})`),
  );
  try {
    lastSequence = (lastSequence + 1) >>> 0;
    const sequence = lastSequence;
    kernelStep(what, context, () => sendNetlink(socket.fd, request.finish(sequence)));
    const reply: NetlinkMessage[] = [];
    for (;;) {
      const datagram = kernelStep(what, context, () => receiveNetlink(socket.fd));
      for (const message of netlinkMessages(datagram)) {
        if (message.sequence !== sequence) continue;
        if (message.type === NLMSG_DONE) return reply;
        if (message.type !== NLMSG_ERROR) {
          reply.push(message);
          continue;
        }
        const errno = -new DataView(message.body.buffer, message.body.byteOffset, 4).getInt32(0, isLittleEndianHost);
        if (errno === 0) return reply;
        throw refusal(what, context, errno, message, hints);
      }
    }
  } finally {
    socket.close();
  }
}

/** The {@link LinkError} for an NLMSG_ERROR carrying `errno`, with the kernel's extended-ack reason. */
function refusal(
  what: string,
  context: LinkErrorContext,
  errno: number,
  message: NetlinkMessage,
  hints: NetlinkHints,
): LinkError {
  const name = errnoName(errno);
  const ack =
    (message.flags & NetlinkFlag.ACK_TLVS) !== 0 ? netlinkAttributes(message.body.subarray(ERROR_ACK_TLVS_AT)) : null;
  const reason = attributeString(ack?.get(NLMSGERR_ATTR_MSG));
  const offset = attributeU32(ack?.get(NLMSGERR_ATTR_OFFS));
  const code =
    name === 'EOPNOTSUPP' || name === 'ENOTSUPP'
      ? 'not-supported'
      : name === 'ENODEV' || name === 'ENOENT'
        ? 'not-found'
        : 'kernel';
  const said =
    reason === undefined
      ? name
      : `the kernel says '${reason}'${offset === undefined ? '' : ` (at byte ${offset} of the request)`} (${name})`;
  return new LinkError(code, `${what}: ${said}`, { ...context, errno: name }, hints[name]);
}
