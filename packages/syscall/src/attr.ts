import { getBackend } from './backend.js';
import { attrSizes } from './generated/attr.js';

/** A zeroed buffer over its own off-heap ArrayBuffer, so its native address never moves. */
export function nativeBuffer(size: number): Uint8Array {
  return new Uint8Array(new ArrayBuffer(size));
}

/** A copy of `bytes` in a native buffer (or `bytes` itself when it already spans its own ArrayBuffer). */
export function asNative(bytes: Uint8Array): Uint8Array {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer)
    return bytes;
  const copy = nativeBuffer(bytes.length);
  copy.set(bytes);
  return copy;
}

/** Native address of a buffer backed by its own ArrayBuffer (0 for an empty one). */
export function addressOf(buffer: Uint8Array): bigint {
  return buffer.length === 0 ? 0n : getBackend().address(buffer);
}

/**
 * Bytes reserved behind every attr, whatever size is passed: the kernel writes some results
 * at fixed offsets past the size a caller gave (PROG_QUERY on tcx and cgroups stores
 * `query.revision` at byte 56 even when only 28 bytes were passed), so a shorter buffer
 * would be overrun. The size of `union bpf_attr`, from the kernel's BTF (generated/attr.ts).
 */
export const BPF_ATTR_ROOM = attrSizes.union;

const hostLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * A `union bpf_attr` being filled: zeroed, written at the UAPI's byte offsets in host byte
 * order, and passed with the size of the part the command uses. Buffers it points to are
 * kept referenced until the call returns.
 */
export class BpfAttr {
  /** The attr bytes. */
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  private readonly keepAlive: Uint8Array[] = [];

  constructor(
    /** The size passed to bpf(2): the end of the command's last field. */
    readonly size: number,
  ) {
    this.bytes = nativeBuffer(Math.max(size, BPF_ATTR_ROOM));
    this.view = new DataView(this.bytes.buffer);
  }

  /**
   * Zeroes the attr and drops the buffers it pointed to, so one attr serves call after call
   * of its command (no fresh native buffer per call): cleared after each call, it is zero for
   * the next and keeps nothing alive in between.
   */
  clear(): void {
    this.bytes.fill(0);
    this.keepAlive.length = 0;
  }

  /**
   * Runs `call` (which writes this attr and makes the system call with it) and then clears
   * the attr, whether `call` returned or threw partway through writing: an attr kept for one
   * command is zero before every call, never holding a field of an earlier one.
   */
  use<T>(call: (attr: this) => T): T {
    try {
      return call(this);
    } finally {
      this.clear();
    }
  }

  /** Writes a 32-bit field. */
  u32(offset: number, value: number): this {
    this.view.setUint32(offset, value >>> 0, hostLittleEndian);
    return this;
  }

  /** Writes a 64-bit field. */
  u64(offset: number, value: bigint | number): this {
    this.view.setBigUint64(offset, BigInt.asUintN(64, BigInt(value)), hostLittleEndian);
    return this;
  }

  /**
   * Writes a pointer field to `buffer` (or NULL), keeping the buffer alive for the call. The
   * address is a u64 already: written as it is, with no BigInt made on the way (a link
   * writes several pointers, and USDT makes a link per probe).
   */
  pointer(offset: number, buffer: Uint8Array | undefined): this {
    if (buffer === undefined || buffer.length === 0) {
      this.view.setBigUint64(offset, 0n, hostLittleEndian);
      return this;
    }
    const native = asNative(buffer);
    this.keepAlive.push(native);
    this.view.setBigUint64(offset, addressOf(native), hostLittleEndian);
    return this;
  }

  /** Writes a NUL-padded string field of `length` bytes (the kernel's names are ASCII). */
  string(offset: number, length: number, text: string): this {
    for (let i = 0; i < Math.min(text.length, length - 1); i++) this.bytes[offset + i] = text.charCodeAt(i) & 0x7f;
    return this;
  }

  /** Reads back a 32-bit field the kernel wrote. */
  readU32(offset: number): number {
    return this.view.getUint32(offset, hostLittleEndian);
  }

  /** Reads back a 64-bit field the kernel wrote. */
  readU64(offset: number): bigint {
    return this.view.getBigUint64(offset, hostLittleEndian);
  }
}

/** True when this machine is little-endian (bpf(2) structures use host order). */
export const isLittleEndianHost = hostLittleEndian;
