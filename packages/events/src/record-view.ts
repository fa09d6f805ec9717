import { isLittleEndianHost } from '@bpfkit/syscall';

/**
 * A window onto one record in a mapped ring, handed to `consume()` callbacks and `'data'`
 * listeners. A reader keeps one view and moves it from record to record, so reading
 * allocates nothing: the view, and anything made by {@link bytes}, is valid only during
 * the call. Read fields at `offset` through {@link dataView} (or the helpers below), or
 * keep a {@link copy}.
 */
export class RecordView {
  /** The bytes the record lies in (the whole mapped ring, or a scratch copy of a split record). */
  buffer: Uint8Array;
  /** A DataView over {@link buffer}. */
  dataView: DataView;
  /** Where the record starts in {@link buffer}. */
  offset = 0;
  /** The record's length in bytes. */
  length = 0;
  /** {@link buffer}'s whole words in host order, for aligned {@link u32} reads. */
  private words: Uint32Array;

  /** @internal A reader makes its own. */
  constructor(buffer: Uint8Array) {
    this.buffer = buffer;
    this.dataView = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    this.words = new Uint32Array(buffer.buffer, buffer.byteOffset, buffer.byteLength >>> 2);
  }

  /**
   * @internal Points the view at other bytes (a split record's scratch copy, or back at the
   * ring), with a DataView and host-order words over them (4-byte aligned, as mapped pages are).
   */
  rebase(buffer: Uint8Array, dataView: DataView, words: Uint32Array): void {
    this.buffer = buffer;
    this.dataView = dataView;
    this.words = words;
  }

  /** The record's bytes as a Uint8Array aliasing the ring: valid during the call only. */
  bytes(): Uint8Array {
    return new Uint8Array(this.buffer.buffer, this.buffer.byteOffset + this.offset, this.length);
  }

  /** A copy of the record's bytes, safe to keep. */
  copy(): Uint8Array {
    return this.buffer.slice(this.offset, this.offset + this.length);
  }

  /** The u8 at byte `at` of the record. */
  u8(at: number): number {
    return this.buffer[this.offset + at] as number;
  }

  /**
   * The host-endian u32 at byte `at` of the record. An aligned one is read as a host-order
   * word, which needs no byte-order argument: the DataView read (the fallback, which throws
   * the RangeError past the end) tests the imported `isLittleEndianHost` on each call.
   */
  u32(at: number): number {
    const position = this.offset + at;
    if ((position & 3) === 0) {
      const word = this.words[position >>> 2];
      if (word !== undefined) return word;
    }
    return this.dataView.getUint32(position, isLittleEndianHost);
  }

  /** The host-endian u64 at byte `at` of the record. */
  u64(at: number): bigint {
    return this.dataView.getBigUint64(this.offset + at, isLittleEndianHost);
  }
}
