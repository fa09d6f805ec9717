import { isLittleEndianHost, type Mapping, mapFdMemory, pageSize } from '@bpfkit/syscall';
import { EventsError, kernelStep } from './errors.js';

// A record header is a u32 length with BUSY_BIT and DISCARD_BIT above it (read as an Int32Array
// word, BUSY_BIT is the sign bit), then a u32 page offset. The reader's record loops spell
// these as literals (`header < 0`, `header & 0x40000000`, `header & 0x3fffffff`): V8's
// optimiser does not know the type of an imported constant, even copied into a local, and
// checks and spills it on every record (a fifth of the zero-copy loop's time).

/** `BPF_RINGBUF_BUSY_BIT`: the record is still being written. */
export const BUSY_BIT = 0x80000000;
/** `BPF_RINGBUF_DISCARD_BIT`: the record was given up; skip it. */
export const DISCARD_BIT = 0x40000000;
/** `BPF_RINGBUF_HDR_SZ`: u32 length (with the two bits above) and u32 page offset. */
export const HEADER_SIZE = 8;

/** Bytes a record of `length` takes in the ring: header and data, rounded up to 8. */
export function recordSpan(length: number): number {
  return (length + HEADER_SIZE + 7) & ~7;
}

/**
 * True where a plain load of a record header is an acquire, as the kernel's release store
 * of the header after the record's data needs: on x86-64 every load is (TSO), and V8 keeps
 * typed-array loads in program order, so a plain load is what libbpf's `smp_load_acquire`
 * compiles to there; elsewhere headers are read with `Atomics.load` (sequentially consistent).
 * Hot loops test this flag inline, as `plainLoadIsAcquire === true` (a value the optimiser
 * then knows is a boolean): a call per record (even inlined) costs a fifth of it.
 */
export const plainLoadIsAcquire = process.arch === 'x64';

/** Reads a record header with acquire semantics (see {@link plainLoadIsAcquire}). */
export function loadHeader(words: Int32Array, index: number): number {
  return plainLoadIsAcquire ? (words[index] as number) : Atomics.load(words, index);
}

/** Index of the low and high 32-bit halves of a u64 in an Int32Array. */
const LOW = isLittleEndianHost ? 0 : 1;
const HIGH = 1 - LOW;

/**
 * A 64-bit ring position in shared memory, read and written as two 32-bit halves with
 * `Atomics` (sequentially consistent, so at least acquire/release as the kernel pairs its
 * `smp_load_acquire`/`smp_store_release` with). Positions stay below 2^53.
 */
export class RingPosition {
  private readonly words: Int32Array;
  /** True when {@link since} can read the low half alone (the ring is at most 2 GiB). */
  private readonly lowHalfSuffices: boolean;

  /**
   * The position in the first 8 bytes of `bytes`, of a ring of `ringSize` bytes: the most it
   * runs ahead of the position it is compared with in {@link since}.
   */
  constructor(bytes: Uint8Array, ringSize: number) {
    this.words = new Int32Array(bytes.buffer, bytes.byteOffset, 2);
    this.lowHalfSuffices = ringSize <= 0x80000000;
  }

  /**
   * Bytes from `earlier` (a position this one had, at most the ring's size behind) up to this
   * position, as {@link load} `- earlier` reads them, with one load of the low half: those
   * bytes are fewer than 2^32, so the low halves' difference is theirs, and the kernel stores
   * the u64 at once, so the low half is never torn. A plain load where that is an acquire
   * ({@link plainLoadIsAcquire}), as a record header's is; the three `Atomics.load` of
   * {@link load} are builtin calls in V8. Rings above 2 GiB read the whole position.
   */
  since(earlier: number): number {
    if (!this.lowHalfSuffices) return this.load() - earlier;
    const low = plainLoadIsAcquire ? (this.words[LOW] as number) : Atomics.load(this.words, LOW);
    return (low - (earlier | 0)) >>> 0;
  }

  /** The position, read until both halves agree (the kernel stores it as one u64). */
  load(): number {
    for (;;) {
      const high = Atomics.load(this.words, HIGH);
      const low = Atomics.load(this.words, LOW) >>> 0;
      if (Atomics.load(this.words, HIGH) === high) return (high >>> 0) * 0x100000000 + low;
    }
  }

  /**
   * Writes `value` after `previous` (the last value written here). When the high half is
   * unchanged (all but once per 4 GiB) only the low half is stored: one 32-bit atomic store,
   * the same as a 64-bit one to a reader.
   */
  store(value: number, previous: number): void {
    const high = Math.floor(value / 0x100000000);
    if (high !== Math.floor(previous / 0x100000000)) {
      // Crossing 4 GiB: write the whole u64 at once.
      const whole = new BigInt64Array(this.words.buffer, this.words.byteOffset, 1);
      Atomics.store(whole, 0, BigInt(value));
      return;
    }
    Atomics.store(this.words, LOW, value >>> 0);
  }
}

/** A ring buffer map's pages as this process maps them. */
export interface RingPages {
  /** The consumer position page. */
  readonly consumer: Mapping;
  /** The producer position page followed by the data pages, mapped twice in a row. */
  readonly producerAndData: Mapping;
  /** Size of the data area (the map's `max_entries`). */
  readonly size: number;
  /** The data, twice over (`2 × size` bytes): a record never wraps in this view. */
  readonly data: Uint8Array;
  /** The data as 32-bit words, for reading record headers atomically. */
  readonly words: Int32Array;
  /** The consumer position. */
  readonly consumerPos: RingPosition;
  /** The producer position. */
  readonly producerPos: RingPosition;
}

/**
 * Maps a `BPF_MAP_TYPE_RINGBUF` or `USER_RINGBUF` of `size` data bytes the way the kernel
 * allows: the consumer page alone (writable only for a ring buffer: user space consumes),
 * then the producer page and the data pages, which the kernel maps twice in a row (writable
 * only for a user ring buffer: user space produces).
 */
export function mapRingPages(fd: number, size: number, userProduces: boolean, map: string): RingPages {
  const page = pageSize();
  if (size < page || (size & (size - 1)) !== 0 || size % page !== 0) {
    throw new EventsError('bad-size', `a ring of ${size} bytes: the kernel makes rings a power of two of whole pages`, {
      map,
      size,
    });
  }
  const consumer = kernelStep('map the consumer page', { map }, () =>
    mapFdMemory(fd, page, { writable: !userProduces }, { map }),
  );
  let producerAndData: Mapping;
  try {
    producerAndData = kernelStep('map the producer page and data', { map }, () =>
      mapFdMemory(fd, page + 2 * size, { offset: page, writable: userProduces }, { map }),
    );
  } catch (error) {
    consumer.unmap();
    throw error;
  }
  const dataBytes = producerAndData.bytes;
  const data = new Uint8Array(dataBytes.buffer, dataBytes.byteOffset + page, 2 * size);
  return {
    consumer,
    producerAndData,
    size,
    data,
    words: new Int32Array(data.buffer, data.byteOffset, size / 2),
    consumerPos: new RingPosition(consumer.bytes, size),
    producerPos: new RingPosition(dataBytes, size),
  };
}

/** Unmaps both mappings of a ring. */
export function unmapRingPages(pages: RingPages): void {
  pages.producerAndData.unmap();
  pages.consumer.unmap();
}
