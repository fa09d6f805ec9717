/**
 * Called when a read would leave the buffer; must throw the caller's own error type.
 * @internal Shared with the other bpfkit parsers, not part of the public API.
 */
export type OutOfBounds = (offset: number, size: number, what: string) => never;

const twoTo32 = 2 ** 32;

/**
 * Absolute-offset reader over one `DataView` of the caller's bytes, with the byte order
 * fixed at construction. No copies: {@link bytesAt} returns aliasing subarrays.
 *
 * Bounds are checked per record with {@link need}; the field reads after it are unchecked,
 * so a reader must call `need` for every structure it decodes.
 * @internal Shared with the other bpfkit parsers (btf, reloc, gen), not part of the public API.
 */
export class ByteView {
  /** The bytes this view reads. */
  readonly bytes: Uint8Array;
  /** True when multi-byte fields are little-endian. */
  readonly littleEndian: boolean;
  private readonly data: DataView;
  private readonly outOfBounds: OutOfBounds;

  constructor(bytes: Uint8Array, littleEndian: boolean, outOfBounds: OutOfBounds) {
    this.bytes = bytes;
    this.littleEndian = littleEndian;
    this.outOfBounds = outOfBounds;
    this.data = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Number of bytes in the view. */
  get length(): number {
    return this.bytes.byteLength;
  }

  /** True when `size` bytes at `offset` lie inside the view. */
  fits(offset: number, size: number): boolean {
    return (
      Number.isSafeInteger(offset) &&
      Number.isSafeInteger(size) &&
      offset >= 0 &&
      size >= 0 &&
      offset + size <= this.bytes.byteLength
    );
  }

  /** Throws through the owner's error factory unless `size` bytes at `offset` are readable. */
  need(offset: number, size: number, what: string): void {
    if (!this.fits(offset, size)) this.outOfBounds(offset, size, what);
  }

  /** Unsigned byte at `offset`. */
  u8(offset: number): number {
    return this.data.getUint8(offset);
  }

  /** Unsigned 16-bit field at `offset`. */
  u16(offset: number): number {
    return this.data.getUint16(offset, this.littleEndian);
  }

  /** Unsigned 32-bit field at `offset`. */
  u32(offset: number): number {
    return this.data.getUint32(offset, this.littleEndian);
  }

  /** Signed 32-bit field at `offset`. */
  i32(offset: number): number {
    return this.data.getInt32(offset, this.littleEndian);
  }

  /** Signed 16-bit field at `offset`. */
  i16(offset: number): number {
    return this.data.getInt16(offset, this.littleEndian);
  }

  /** Unsigned 64-bit field at `offset`. */
  u64(offset: number): bigint {
    return this.data.getBigUint64(offset, this.littleEndian);
  }

  /** Signed 64-bit field at `offset`. */
  i64(offset: number): bigint {
    return this.data.getBigInt64(offset, this.littleEndian);
  }

  /**
   * An unsigned 64-bit field as a number, or `undefined` when it is 2^53 or more
   * (the caller reports that with its own error, naming the field).
   */
  u64Number(offset: number): number | undefined {
    const lo = this.u32(this.littleEndian ? offset : offset + 4);
    const hi = this.u32(this.littleEndian ? offset + 4 : offset);
    if (hi >= 2 ** 21) return undefined;
    return hi * twoTo32 + lo;
  }

  /** `size` bytes at `offset`, aliasing the underlying buffer. */
  bytesAt(offset: number, size: number): Uint8Array {
    return this.bytes.subarray(offset, offset + size);
  }
}
