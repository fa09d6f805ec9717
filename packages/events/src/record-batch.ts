import { RecordView } from './record-view.js';

/**
 * Ring buffer records taken out of the ring together: one copy of the span of the ring they
 * lay in (headers and discarded records included), never written again, so the batch and
 * everything read from it stay valid as long as they are kept (after later takes too).
 * Nothing is made per record until asked for: iterate it for Uint8Arrays over the copy (or
 * what the reader's `decode` makes of them), or read every record through one
 * {@link RecordView} with {@link forEachView}, which allocates nothing per record.
 */
export class RecordBatch<Item = Uint8Array> implements Iterable<Item> {
  private readonly buffer: ArrayBuffer;
  private readonly words: Int32Array;
  private readonly start: number;
  private readonly end: number;
  private readonly decode: ((bytes: Uint8Array) => Item) | undefined;
  private count: number;

  /**
   * @internal A ring buffer makes batches: `words` are `buffer`'s, records lie in [start,
   * end), `count` of them (-1 when not counted yet).
   */
  constructor(
    buffer: ArrayBuffer,
    words: Int32Array,
    start: number,
    end: number,
    count: number,
    decode: ((bytes: Uint8Array) => Item) | undefined,
  ) {
    this.buffer = buffer;
    this.words = words;
    this.start = start;
    this.end = end;
    this.count = count;
    this.decode = decode;
  }

  /** How many records the batch holds (discarded ones are not records). */
  get length(): number {
    if (this.count < 0) {
      let count = 0;
      for (let at = this.start; at !== this.end; ) {
        const header = this.words[at >>> 2] as number;
        if ((header & 0x40000000) === 0) count++; // DISCARD_BIT clear
        at += ((header & 0x3fffffff) + 15) & ~7; // recordSpan(length)
      }
      this.count = count;
    }
    return this.count;
  }

  /**
   * Calls `callback` with a view of each record in order. The view is moved from record to
   * record (keep what it gives, not the view itself); the bytes it reads are the batch's
   * copy, so `view.bytes()` stays valid after the call.
   */
  forEachView(callback: (view: RecordView) => void): void {
    const words = this.words;
    const end = this.end;
    const view = new RecordView(new Uint8Array(this.buffer));
    for (let at = this.start; at !== end; ) {
      const header = words[at >>> 2] as number;
      const length = header & 0x3fffffff; // the length, below DISCARD_BIT
      const start = at + 8; // HEADER_SIZE
      at += (length + 15) & ~7; // recordSpan(length)
      if ((header & 0x40000000) === 0) {
        // DISCARD_BIT clear
        view.offset = start;
        view.length = length;
        callback(view);
      }
    }
  }

  /** The records in order: a Uint8Array over the copy each (or the reader's decoded item). */
  *[Symbol.iterator](): Iterator<Item> {
    const decode = this.decode;
    for (let at = this.start; at !== this.end; ) {
      const header = this.words[at >>> 2] as number;
      const length = header & 0x3fffffff; // the length, below DISCARD_BIT
      const start = at + 8; // HEADER_SIZE
      at += (length + 15) & ~7; // recordSpan(length)
      if ((header & 0x40000000) === 0) {
        const bytes = new Uint8Array(this.buffer, start, length);
        yield decode === undefined ? (bytes as Item) : decode(bytes);
      }
    }
  }
}
