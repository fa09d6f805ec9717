/**
 * Where the async iterators put the copies they yield: spans of a ring are copied one after
 * another into one shared ArrayBuffer (64 KiB unless a span is larger), and each record is a
 * Uint8Array over its part. Allocating an ArrayBuffer costs V8 microseconds (a backing store,
 * external memory accounting), many times a record's share of a memcpy; an arena pays for
 * one per 64 KiB of records. A copy is never written again once handed out, so records stay
 * valid as long as they are kept; a kept record keeps its arena alive (at most 64 KiB, as a
 * pooled Node.js Buffer keeps its pool).
 */
export class CopyArena {
  private bytes = new Uint8Array(0);
  private chunkWords: Int32Array = new Int32Array(0);
  private used = 0;
  private readonly chunk: number;

  /** An arena that allocates `chunk` bytes at a time (64 KiB by default). */
  constructor(chunk = 64 * 1024) {
    this.chunk = chunk;
  }

  /** The buffer the last {@link copy} went into. */
  get buffer(): ArrayBuffer {
    return this.bytes.buffer as ArrayBuffer;
  }

  /** The buffer of the last {@link copy} as 32-bit words (host order), to read copied headers. */
  get words(): Int32Array {
    return this.chunkWords;
  }

  /**
   * Copies `source[start, end)` into the arena and returns where the copy starts in
   * {@link buffer}: a multiple of 8, so data 8-aligned in the source stays aligned.
   */
  copy(source: Uint8Array, start: number, end: number): number {
    const length = end - start;
    if (this.used + length > this.bytes.length) {
      this.bytes = new Uint8Array(Math.max(this.chunk, (length + 7) & ~7));
      this.chunkWords = new Int32Array(this.bytes.buffer);
      this.used = 0;
    }
    const at = this.used;
    this.bytes.set(source.subarray(start, end), at);
    this.used = (at + length + 7) & ~7;
    return at;
  }
}
