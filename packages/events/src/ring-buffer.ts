import { EpollEvent, type Fd, mapInfo } from '@bpfkit/syscall';
import { CopyArena } from './copy-arena.js';
import { EventsError } from './errors.js';
import { ownDuplicate } from './own-fd.js';
import { EventReader } from './reader.js';
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
  recordSpan,
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
   * yields. By default the iterator yields copies: Uint8Arrays over one copy of the span of
   * the ring a batch took, in a shared arena (so `record.buffer` holds other records too:
   * use `record.byteOffset`). Decoders from
   * {@link recordDecoder} fit here.
   */
  readonly decode?: (view: Uint8Array) => Item;
}

/** Largest span of the ring the iterator copies out at once (its records share that copy). */
const COPY_CHUNK = 64 * 1024;

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

  /** @internal Use {@link openRingBuffer}. */
  constructor(fd: Fd, pages: RingPages, waiter: Waiter, decode: ((view: Uint8Array) => Item) | undefined) {
    super();
    this.fd = fd;
    this.pages = pages;
    this.mask = pages.size - 1;
    this.decode = decode;
    this.view = new RecordView(pages.data);
    this.consumed = pages.consumerPos.load();
    this.watch = waiter.watch(fd.fd, EpollEvent.IN, () => this.woken());
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

  protected take(items: Item[], limit: number): void {
    const decode = this.decode;
    if (decode !== undefined) {
      this.consumeViews((view) => items.push(decode(view.bytes())), limit);
      return;
    }
    if (this.reading) return;
    const { data, words, producerPos, consumerPos } = this.pages;
    const start = this.consumed;
    // Offsets from `start`, as in consumeViews; the data is mapped twice, so `base + done`
    // (below twice the ring's size) never needs wrapping.
    const base = start & this.mask;
    const available = Math.min(producerPos.load() - start, COPY_CHUNK);
    let done = 0;
    let kept = 0;
    while (done < available && kept < limit) {
      const header = loadHeader(words, (base + done) >>> 2);
      if ((header & BUSY_BIT) !== 0) break;
      done += recordSpan(header & LENGTH_MASK);
      if ((header & DISCARD_BIT) === 0) kept++;
    }
    if (done === 0) return;
    // One copy of the span, which its records share; their headers, read committed above,
    // cannot change before the consumer position moves, so plain loads read them again.
    const at = this.arena.copy(data, base, base + done);
    const buffer = this.arena.buffer;
    for (let offset = 0; offset < done; ) {
      const header = words[(base + offset) >>> 2] as number;
      const length = header & LENGTH_MASK;
      if ((header & DISCARD_BIT) === 0) items.push(new Uint8Array(buffer, at + offset + HEADER_SIZE, length) as Item);
      offset += recordSpan(length);
    }
    consumerPos.store(start + done, start);
    this.consumed = start + done;
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
