import type { BtfStrings } from './strings.js';

/** What a decoded type reads its fields from: the type section's words and the strings. */
export interface RecordSource {
  /** The type section as host-order words. */
  readonly words: Uint32Array;
  /** Byte offset of `words[0]` in the blob, for error offsets. */
  readonly typeStart: number;
  /** Word index of each record, index = id − {@link firstId}. */
  readonly starts: Uint32Array;
  /** The first type id of the blob (1, or the base's type count for split BTF). */
  readonly firstId: number;
  /** The blob's strings (the base's included for split BTF). */
  readonly strings: BtfStrings;
  /** One past the last string offset (every offset below it starts a terminated string). */
  readonly stringEnd: number;
  /** One past the largest valid type id. */
  readonly typeCount: number;
  /** True when the kernel already checked every name offset and type id (kernel BTF). */
  readonly verified: boolean;
  /** The origin named in errors. */
  readonly object: string | undefined;
}
