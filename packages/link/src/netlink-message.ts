import { isLittleEndianHost } from '@bpfkit/syscall';

/** `NLM_F_*` request flags. */
export const NetlinkFlag = {
  REQUEST: 0x1,
  ACK: 0x4,
  /** Send the created object back (tc: the handle and priority the kernel chose). */
  ECHO: 0x8,
  REPLACE: 0x100,
  EXCL: 0x200,
  CREATE: 0x400,
  /** On an NLMSG_ERROR: extended-ack attributes follow the echoed header. */
  ACK_TLVS: 0x200,
} as const;

/** `NLMSG_ERROR` and `NLMSG_DONE`, the message types that end a request. */
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;

/** Size of `struct nlmsghdr`; netlink aligns messages and attributes to 4 bytes. */
const HEADER_SIZE = 16;
const ATTRIBUTE_HEADER_SIZE = 4;
const NLA_F_NESTED = 0x8000;
/** The attribute type without the `NLA_F_NESTED` and `NLA_F_NET_BYTEORDER` bits. */
const NLA_TYPE_MASK = 0x3fff;

const align4 = (n: number) => (n + 3) & ~3;

/**
 * Builds one netlink request: the `nlmsghdr`, the family header (`ifinfomsg`, `tcmsg`) and
 * attributes, nested ones included, in host byte order.
 */
export class NetlinkRequest {
  private bytes = new Uint8Array(256);
  private view = new DataView(this.bytes.buffer);
  private length = HEADER_SIZE;

  constructor(
    private readonly type: number,
    private readonly flags: number,
    familyHeader: Uint8Array,
  ) {
    this.put(familyHeader);
  }

  /** Appends a u32 attribute. */
  u32(type: number, value: number): this {
    const at = this.attributeHeader(type, 4);
    this.view.setUint32(at, value >>> 0, isLittleEndianHost);
    return this;
  }

  /** Appends an s32 attribute (an fd, where -1 means none). */
  s32(type: number, value: number): this {
    const at = this.attributeHeader(type, 4);
    this.view.setInt32(at, value, isLittleEndianHost);
    return this;
  }

  /** Appends a NUL-terminated string attribute. */
  string(type: number, value: string): this {
    const encoded = new TextEncoder().encode(value);
    const at = this.attributeHeader(type, encoded.length + 1);
    this.bytes.set(encoded, at);
    return this;
  }

  /** Appends a nested attribute holding what `fill` appends. */
  nested(type: number, fill: (request: this) => void): this {
    const start = this.length;
    this.attributeHeader(type | NLA_F_NESTED, 0);
    fill(this);
    this.view.setUint16(start, this.length - start, isLittleEndianHost);
    return this;
  }

  /** The finished message, numbered `sequence`. */
  finish(sequence: number): Uint8Array {
    this.view.setUint32(0, this.length, isLittleEndianHost);
    this.view.setUint16(4, this.type, isLittleEndianHost);
    this.view.setUint16(6, this.flags, isLittleEndianHost);
    this.view.setUint32(8, sequence, isLittleEndianHost);
    return this.bytes.slice(0, this.length);
  }

  private attributeHeader(type: number, payload: number): number {
    const start = this.length;
    this.reserve(align4(ATTRIBUTE_HEADER_SIZE + payload));
    this.view.setUint16(start, ATTRIBUTE_HEADER_SIZE + payload, isLittleEndianHost);
    this.view.setUint16(start + 2, type, isLittleEndianHost);
    this.length = start + align4(ATTRIBUTE_HEADER_SIZE + payload);
    return start + ATTRIBUTE_HEADER_SIZE;
  }

  private put(bytes: Uint8Array): void {
    const start = this.length;
    this.reserve(align4(bytes.length));
    this.bytes.set(bytes, start);
    this.length = start + align4(bytes.length);
  }

  private reserve(more: number): void {
    if (this.length + more <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + more));
    grown.set(this.bytes);
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }
}

/** One message of a netlink reply. */
export interface NetlinkMessage {
  readonly type: number;
  readonly flags: number;
  readonly sequence: number;
  /** Everything after the `nlmsghdr` (a view into the datagram). */
  readonly body: Uint8Array;
}

/** Splits a received datagram into its messages; a truncated one ends the list. */
export function netlinkMessages(datagram: Uint8Array): NetlinkMessage[] {
  const view = new DataView(datagram.buffer, datagram.byteOffset, datagram.byteLength);
  const messages: NetlinkMessage[] = [];
  for (let at = 0; at + HEADER_SIZE <= datagram.length; ) {
    const length = view.getUint32(at, isLittleEndianHost);
    if (length < HEADER_SIZE || at + length > datagram.length) break;
    messages.push({
      type: view.getUint16(at + 4, isLittleEndianHost),
      flags: view.getUint16(at + 6, isLittleEndianHost),
      sequence: view.getUint32(at + 8, isLittleEndianHost),
      body: datagram.subarray(at + HEADER_SIZE, at + length),
    });
    at += align4(length);
  }
  return messages;
}

/** The attributes in `bytes` by type (nested ones as their payload, for another call); a truncated one ends them. */
export function netlinkAttributes(bytes: Uint8Array): Map<number, Uint8Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const attributes = new Map<number, Uint8Array>();
  for (let at = 0; at + ATTRIBUTE_HEADER_SIZE <= bytes.length; ) {
    const length = view.getUint16(at, isLittleEndianHost);
    if (length < ATTRIBUTE_HEADER_SIZE || at + length > bytes.length) break;
    attributes.set(view.getUint16(at + 2, isLittleEndianHost) & NLA_TYPE_MASK, bytes.subarray(at + 4, at + length));
    at += align4(length);
  }
  return attributes;
}

/** A u32 attribute's value, or undefined when it is missing or short. */
export function attributeU32(attribute: Uint8Array | undefined): number | undefined {
  if (attribute === undefined || attribute.length < 4) return undefined;
  return new DataView(attribute.buffer, attribute.byteOffset, 4).getUint32(0, isLittleEndianHost);
}

/** A string attribute's value without its NUL, or undefined when it is missing. */
export function attributeString(attribute: Uint8Array | undefined): string | undefined {
  if (attribute === undefined) return undefined;
  const end = attribute.indexOf(0);
  return new TextDecoder().decode(end < 0 ? attribute : attribute.subarray(0, end));
}
