import { EpollEvent, type Fd, mapInfo } from '@bpfkit/syscall';
import { CopyArena } from './copy-arena.js';
import { EventsError } from './errors.js';
import { ownDuplicate } from './own-fd.js';
import { EventReader, type WaitOptions } from './reader.js';
import { RecordBatch } from './record-batch.js';
import { NO_RECORD } from './record-iterator.js';
import { RecordView } from './record-view.js';
import {
  BUSY_BIT,
  loadHeader,
  mapRingPages,
  plainLoadIsAcquire,
  type RingPages,
  unmapRingPages,
} from './ring-layout.js';
import { sharedWaiter, type Waiter, type Watch } from './waiter.js';

/** `BPF_MAP_TYPE_RINGBUF`. */
export const MAP_TYPE_RINGBUF = 27;

/** Options for {@link openRingBuffer}. */
export interface RingBufferOptions<Item> {
  /** The map's name, for errors. */
  readonly name?: string;
  /** The waiter to share with other channels; the process's shared one by default. */
  readonly waiter?: Waiter;
  /**
   * Turns a record's bytes (a view, valid during the call) into the item the iterator
   * yields (the bytes are a copy the decoder may keep). By default the iterator yields
   * copies: Uint8Arrays over one copy of the span of the ring a take held, in a shared arena (so `record.buffer` holds other records too:
   * use `record.byteOffset`). Decoders from
   * {@link recordDecoder} fit here.
   */
  readonly decode?: (view: Uint8Array) => Item;
}

/**
 * Largest span of the ring the iterator takes at once (one copy its records share; a single
 * larger record is taken alone). A take costs two atomic position loads, a copy and an atomic
 * store: taking every record ready, rather than a few at a time, pays that once per run.
 */
const TAKE_LIMIT = 64 * 1024;

/**
 * A reader of a `BPF_MAP_TYPE_RINGBUF`, as the kernel defines the protocol: it maps the
 * consumer page (writable) and the producer and data pages (read-only, the data mapped twice
 * so a record never wraps in the view), reads records from the consumer position up to the
 * producer position, stops at a record still being written (busy bit), skips discarded ones,
 * and writes the consumer position back with an atomic store: whenever it has caught up with
 * the producer (before looking again, so adaptive notification sees it), after each quarter
 * of the ring, and when it stops. The kernel wakes the reader only when it had caught up or a
 * producer forces it; a wake-up is asked for only when the ring is empty and someone waits.
 */
export class RingBuffer<Item = Uint8Array> extends EventReader<Item, RecordView> {
  private readonly fd: Fd;
  private readonly pages: RingPages;
  private readonly watch: Watch;
  private readonly mask: number;
  private readonly decode: ((view: Uint8Array) => Item) | undefined;
  private readonly view: RecordView;
  private readonly arena = new CopyArena();
  /** The consumer position as last written (only this reader writes it). */
  private consumed: number;
  /** True while records are being read: a nested read (from a callback) would reread them. */
  private reading = false;
  /** The copy of the last take: its buffer and words, and where its next record and its end are. */
  private taken: ArrayBuffer = new ArrayBuffer(0);
  private takenWords: Int32Array = new Int32Array(0);
  private takenNext = 0;
  private takenEnd = 0;
  /** Records (not discarded) in the last take. */
  private takenCount = 0;

  /** @internal Use {@link openRingBuffer}. */
  constructor(fd: Fd, pages: RingPages, waiter: Waiter, decode: ((view: Uint8Array) => Item) | undefined) {
    super();
    this.fd = fd;
    this.pages = pages;
    this.mask = pages.size - 1;
    this.decode = decode;
    this.view = new RecordView(pages.data);
    this.consumed = pages.consumerPos.load();
    this.watch = waiter.watch(
      fd.fd,
      EpollEvent.IN,
      () => this.woken(),
      () => this.hasData(),
    );
  }

  /** Size of the ring's data area in bytes. */
  get size(): number {
    return this.pages.size;
  }

  /** Bytes written by producers and not yet consumed (busy and discarded records included). */
  get unreadBytes(): number {
    return this.pages.producerPos.load() - this.consumed;
  }

  /**
   * The records in batches, as they come: each batch holds every record ready when it was
   * taken (up to 64 KiB of the ring), copied out in one go into memory never written again,
   * so records stay valid as long as they are kept. Iterating a batch gives a Uint8Array per
   * record (or what `decode` makes of it); `batch.forEachView()` reads each record through
   * one view, allocating nothing per record. Where the per-record iterator pays a promise
   * turn and an object per record, this pays one promise turn per batch. Waits,
   * backpressure (a batch is taken only when the iteration asks for the next one), `break`,
   * close and `signal` behave as for {@link records}; records one iterator took and did not
   * yield come first in the next, of either kind. `consume()` stays the zero-copy path.
   * @example
   * ```ts
   * import { openRingBuffer } from '@bpfkit/events';
   * import { BpfObject } from '@bpfkit/loader';
   *
   * using obj = BpfObject.open('tool.bpf.o');
   * obj.load();
   * using events = openRingBuffer(obj.map('events').fd);
   * const kept: Uint8Array[] = [];
   * for await (const batch of events.batches()) {
   *   for (const record of batch) kept.push(record); // a Uint8Array each, safe to keep
   *   batch.forEachView((view) => console.log(view.u32(0))); // no allocation per record
   * }
   * ```
   */
  batches(options: WaitOptions = {}): AsyncIterableIterator<RecordBatch<Item>> {
    return this.iterate(() => this.nextBatch(), options);
  }

  protected hasData(): boolean {
    const position = this.consumed;
    if (this.pages.producerPos.since(position) === 0) return false;
    const header = loadHeader(this.pages.words, (position & this.mask) >>> 2);
    return (header & BUSY_BIT) === 0;
  }

  protected nextRecord(): Item | typeof NO_RECORD {
    let at = this.takenNext;
    for (;;) {
      if (at === this.takenEnd) {
        if (!this.takeReady()) return NO_RECORD;
        at = this.takenNext;
      }
      // Header bits as literals (see ring-layout.ts): the length, then DISCARD_BIT.
      const header = this.takenWords[at >>> 2] as number;
      const length = header & 0x3fffffff;
      const start = at + 8; // HEADER_SIZE
      at += (length + 15) & ~7; // recordSpan(length)
      this.takenNext = at;
      if ((header & 0x40000000) === 0) {
        const bytes = new Uint8Array(this.taken, start, length);
        const decode = this.decode;
        return decode === undefined ? (bytes as Item) : decode(bytes);
      }
    }
  }

  /**
   * A batch of every record taken and not yet handed out, or else of a new take;
   * {@link NO_RECORD} when none is ready.
   */
  private nextBatch(): RecordBatch<Item> | typeof NO_RECORD {
    for (;;) {
      // The rest of a take an iterator stopped in, or a new take, whose records were counted.
      let count = -1;
      if (this.takenNext === this.takenEnd) {
        if (!this.takeReady()) return NO_RECORD;
        count = this.takenCount;
      }
      const batch = new RecordBatch(this.taken, this.takenWords, this.takenNext, this.takenEnd, count, this.decode);
      this.takenNext = this.takenEnd;
      // A take of discarded records only holds none: take again.
      if (batch.length > 0) return batch;
    }
  }

  /**
   * Takes every record ready now (up to {@link TAKE_LIMIT} bytes of the ring, at least one
   * record) with one copy into the arena, and gives their space back to producers; false
   * when none is ready. The data is mapped twice, so a run that wraps is contiguous.
   */
  private takeReady(): boolean {
    if (this.reading) return false;
    const { data, words, producerPos, consumerPos } = this.pages;
    const start = this.consumed;
    const base = start & this.mask;
    const unread = producerPos.since(start);
    // Small integers only in the loop, as in consumeViews; header bits as literals.
    const limit = Math.min(unread, TAKE_LIMIT) | 0;
    const plain = plainLoadIsAcquire === true;
    let done = 0;
    let count = 0;
    while (done < limit) {
      const index = (base + done) >>> 2;
      const header = plain ? (words[index] as number) : Atomics.load(words, index);
      if (header < 0) break; // BUSY_BIT, the sign bit
      const span = ((header & 0x3fffffff) + 15) & ~7; // recordSpan(length)
      if (done !== 0 && done + span > limit) break;
      done += span;
      if ((header & 0x40000000) === 0) count++; // DISCARD_BIT clear
    }
    if (done === 0) return false;
    // The headers were read committed above and cannot change before the consumer position
    // moves, so the copy holds whole records; from here on the iterator reads the copy.
    const at = this.arena.copy(data, base, base + done);
    this.taken = this.arena.buffer;
    this.takenWords = this.arena.words;
    this.takenNext = at;
    this.takenEnd = at + done;
    this.takenCount = count;
    consumerPos.store(start + done, start);
    this.consumed = start + done;
    return true;
  }

  protected consumeViews(callback: (view: RecordView) => void, limit: number): number {
    if (this.reading || !(limit > 0)) return 0;
    const { words, producerPos, consumerPos } = this.pages;
    const mask = this.mask;
    const releaseEvery = this.pages.size >>> 2;
    const view = this.view;
    const plain = plainLoadIsAcquire === true;
    // The record loop works in int32 registers only. Positions are u64 and pass 2^31 soon,
    // so V8 would hold them as doubles: the loop counts instead in small integers from where
    // its pass started (a pass reads up to the producer position it loaded, at most
    // `maxPass` bytes). The position is `pass + done`. `most` is -1 for no limit (a count
    // never reaches it). Header bits are literals, as ring-layout.ts explains.
    const maxPass = 0x40000000;
    const most = limit >= maxPass ? -1 : Math.ceil(limit) | 0;
    let pass = this.consumed;
    let done = 0;
    let released = pass;
    let count = 0;
    this.reading = true;
    try {
      reading: for (;;) {
        const unread = producerPos.since(pass);
        if (unread === 0) break;
        const available = Math.min(unread, maxPass) | 0;
        const base = pass & mask;
        let release = releaseEvery;
        while (done < available) {
          if (count === most) break reading;
          const offset = (base + done) & mask;
          const header = plain ? (words[offset >>> 2] as number) : Atomics.load(words, offset >>> 2);
          // BUSY_BIT is the sign bit of the header word.
          if (header < 0) break reading;
          const length = header & 0x3fffffff; // the length, below DISCARD_BIT
          done += (length + 15) & ~7; // recordSpan(length)
          if ((header & 0x40000000) === 0) {
            // DISCARD_BIT clear
            count++;
            view.offset = offset + 8; // HEADER_SIZE
            view.length = length;
            callback(view);
          }
          if (done >= release) {
            consumerPos.store(pass + done, released);
            released = pass + done;
            release = done + releaseEvery;
          }
        }
        // Caught up: hand the space back first, then look again, as a producer may have
        // committed meanwhile (and wakes the reader only if it saw the position caught up).
        pass += done;
        done = 0;
        if (pass !== released) {
          consumerPos.store(pass, released);
          released = pass;
        }
      }
    } finally {
      this.reading = false;
      // Also when the callback threw: the record it was given counts as consumed.
      const position = pass + done;
      this.consumed = position;
      if (position !== released) consumerPos.store(position, released);
    }
    return count;
  }

  protected watches(): Iterable<Watch> {
    return [this.watch];
  }

  protected release(): void {
    this.watch.remove();
    unmapRingPages(this.pages);
    this.fd.close();
  }
}

/**
 * Opens a reader of the ring buffer map `mapFd` (`BPF_MAP_TYPE_RINGBUF`). The reader works
 * on its own duplicate of `mapFd`, so closing the map's fd first is safe; close the reader
 * to release its fd, mappings and wake-ups.
 * @throws {@link EventsError} `wrong-map-type` for another map type, `kernel` when the map
 * cannot be mapped or watched.
 * @example
 * ```ts
 * import { openRingBuffer } from '@bpfkit/events';
 * import { BpfObject } from '@bpfkit/loader';
 *
 * using obj = BpfObject.open('tool.bpf.o');
 * obj.load();
 * using events = openRingBuffer(obj.map('events').fd); // or obj.ringBuffer('events')
 * events.consume((view) => console.log(view.u32(0))); // zero-copy, what is there now
 * for await (const record of events) console.log(record.length); // copies, as they come
 * ```
 */
export function openRingBuffer<Item = Uint8Array>(
  mapFd: number,
  options: RingBufferOptions<Item> = {},
): RingBuffer<Item> {
  const fd = ownDuplicate(mapFd, options.name);
  try {
    const info = mapInfo(fd.fd);
    const map = options.name ?? info.name;
    if (info.type !== MAP_TYPE_RINGBUF) {
      throw new EventsError(
        'wrong-map-type',
        `a ring buffer reader needs a BPF_MAP_TYPE_RINGBUF, not map type ${info.type}`,
        {
          map,
        },
        info.type === 4 ? 'this is a perf event array: read it with a perf buffer' : undefined,
      );
    }
    const pages = mapRingPages(fd.fd, info.maxEntries, false, map);
    try {
      return new RingBuffer<Item>(fd, pages, options.waiter ?? sharedWaiter(), options.decode);
    } catch (error) {
      unmapRingPages(pages);
      throw error;
    }
  } catch (error) {
    fd.close();
    throw error;
  }
}
