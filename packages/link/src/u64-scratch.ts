import { isLittleEndianHost, nativeBuffer } from '@bpfkit/syscall';

/**
 * A native buffer of u64 values in host order for a link's arrays, which a caller may keep
 * from one link to the next (a fresh buffer per link costs fresh pages): the kernel reads `cnt` entries of it during
 * BPF_LINK_CREATE and keeps nothing. Numbers (offsets, below 2^53) are written as two u32
 * halves, with no BigInt per value.
 */
export class U64Scratch {
  private bytes = nativeBuffer(0);
  private view = new DataView(this.bytes.buffer);

  /** `values` written from the start of the buffer; the whole buffer, at least `values.length` entries long. */
  fill(values: readonly (number | bigint)[]): Uint8Array {
    if (values.length * 8 > this.bytes.length) {
      this.bytes = nativeBuffer(Math.max(values.length * 8, this.bytes.length * 2));
      this.view = new DataView(this.bytes.buffer);
    }
    const view = this.view;
    const le = isLittleEndianHost;
    for (let i = 0; i < values.length; i++) {
      const value = values[i] as number | bigint;
      if (typeof value === 'bigint') {
        view.setBigUint64(i * 8, value, le);
      } else {
        view.setUint32(le ? i * 8 : i * 8 + 4, value >>> 0, le);
        view.setUint32(le ? i * 8 + 4 : i * 8, Math.floor(value / 2 ** 32), le);
      }
    }
    return this.bytes;
  }
}
