import { EpollEvent, type Fd, mapInfo } from '@bpfkit/syscall';
import { CopyArena } from './copy-arena.js';
import { EventsError } from './errors.js';
import { ownDuplicate } from './own-fd.js';
import { EventReader } from './reader.js';
import { NO_RECORD } from './record-iterator.js';
import { RecordView } from './record-view.js';
import {
  BUSY_BIT,
  DISCARD_BIT,
  HEADER_SIZE,
  LENGTH_MASK,
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

  protected hasData(): boolean {
    const position = this.consumed;
    if (this.pages.producerPos.load() <= position) return false;
    const header = loadHeader(this.pages.words, (position & this.mask) >>> 2);
    return (header & BUSY_BIT) === 0;
  }

  protected nextRecord(): Item | typeof NO_RECORD {
    // Module constants in locals, as in consumeViews.
    const lengthMask = LENGTH_MASK;
    const discarded = DISCARD_BIT;
    let at = this.takenNext;
    for (;;) {
      if (at === this.takenEnd) {
        if (!this.takeReady()) return NO_RECORD;
        at = this.takenNext;
      }
      const header = this.takenWords[at >>> 2] as number;
      const length = header & lengthMask;
      const start = at + 8; // HEADER_SIZE
      at += (length + 15) & ~7; // recordSpan(length)
      this.takenNext = at;
      if ((header & discarded) === 0) {
        const bytes = new Uint8Array(this.taken, start, length);
        const decode = this.decode;
        return decode === undefined ? (bytes as Item) : decode(bytes);
      }
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
    const available = producerPos.load() - start;
    const busy = BUSY_BIT;
    const lengthMask = LENGTH_MASK;
    const plain = plainLoadIsAcquire;
    let done = 0;
    while (done < available) {
      const index = (base + done) >>> 2;
      const header = plain ? (words[index] as number) : Atomics.load(words, index);
      if ((header & busy) !== 0) break;
      const span = ((header & lengthMask) + 15) & ~7; // recordSpan
      if (done !== 0 && done + span > TAKE_LIMIT) break;
      done += span;
    }
    if (done === 0) return false;
    // The headers were read committed above and cannot change before the consumer position
    // moves, so the copy holds whole records; from here on the iterator reads the copy.
    const at = this.arena.copy(data, base, base + done);
    this.taken = this.arena.buffer;
    this.takenWords = this.arena.words;
    this.takenNext = at;
    this.takenEnd = at + done;
    consumerPos.store(start + done, start);
    this.consumed = start + done;
    return true;
  }

  protected consumeViews(callback: (view: RecordView) => void, limit: number): number {
    if (this.reading) return 0;
    const { words, producerPos, consumerPos } = this.pages;
    const mask = this.mask;
    const releaseEvery = this.pages.size >>> 2;
    const view = this.view;
    // Module constants in locals: V8 loads an imported binding from its cell at each use.
    const busy = BUSY_BIT;
    const discarded = DISCARD_BIT;
    const lengthMask = LENGTH_MASK;
    const headerSize = HEADER_SIZE;
    const padding = HEADER_SIZE + 7;
    const plain = plainLoadIsAcquire;
    // Positions are u64 and pass 2^31 soon, so V8 would hold them as doubles: the loop counts
    // instead in small integers from where its pass started (a pass reads up to the producer
    // position it loaded, at most the ring's size), which keeps the record loop in int32
    // registers, twice as fast per record. The position is `pass + done`.
    let pass = this.consumed;
    let done = 0;
    let released = pass;
    let count = 0;
    this.reading = true;
    try {
      reading: for (;;) {
        const available = producerPos.load() - pass;
        if (available <= 0) break;
        const base = pass & mask;
        let release = releaseEvery;
        while (done < available) {
          if (count >= limit) break reading;
          const offset = (base + done) & mask;
          const header = plain ? (words[offset >>> 2] as number) : Atomics.load(words, offset >>> 2);
          if ((header & busy) !== 0) break reading;
          const length = header & lengthMask;
          done += (length + padding) & ~7; // recordSpan(length)
          if ((header & discarded) === 0) {
            count++;
            view.offset = offset + headerSize;
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
