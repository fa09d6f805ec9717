import { EpollEvent, type Fd, mapInfo } from '@bpfkit/syscall';
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
   * the ring a batch took (so `record.buffer` may hold other records too). Decoders from
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
    // Copies: one copy of the span the records take, which the records then share.
    const { data, words, producerPos, consumerPos } = this.pages;
    const mask = this.mask;
    const start = this.consumed;
    const produced = producerPos.load();
    const found: number[] = [];
    let position = start;
    while (found.length < 2 * limit && position < produced && position - start < COPY_CHUNK) {
      const header = loadHeader(words, (position & mask) >>> 2);
      if ((header & BUSY_BIT) !== 0) break;
      const length = header & LENGTH_MASK;
      if ((header & DISCARD_BIT) === 0) found.push(position - start + HEADER_SIZE, length);
      position += recordSpan(length);
    }
    if (position === start) return;
    const offset = start & mask;
    const copy = data.slice(offset, offset + (position - start));
    for (let i = 0; i < found.length; i += 2) {
      items.push(new Uint8Array(copy.buffer, found[i], found[i + 1]) as Item);
    }
    consumerPos.store(position, start);
    this.consumed = position;
  }

  protected consumeViews(callback: (view: RecordView) => void, limit: number): number {
    if (this.reading) return 0;
    const { words, producerPos, consumerPos } = this.pages;
    const mask = this.mask;
    const releaseEvery = this.pages.size >>> 2;
    const view = this.view;
    let released = this.consumed;
    let position = released;
    let produced = producerPos.load();
    let count = 0;
    this.reading = true;
    try {
      while (count < limit) {
        if (position >= produced) {
          // Caught up: hand the space back first, then look again, as a producer may have
          // committed meanwhile (and wakes the reader only if it saw the position caught up).
          if (position !== released) {
            consumerPos.store(position, released);
            released = position;
          }
          produced = producerPos.load();
          if (position >= produced) break;
        }
        const offset = position & mask;
        const header = loadHeader(words, offset >>> 2);
        if ((header & BUSY_BIT) !== 0) break;
        const length = header & LENGTH_MASK;
        position += recordSpan(length);
        if ((header & DISCARD_BIT) === 0) {
          count++;
          view.offset = offset + HEADER_SIZE;
          view.length = length;
          callback(view);
        }
        if (position - released >= releaseEvery) {
          consumerPos.store(position, released);
          released = position;
        }
      }
    } finally {
      this.reading = false;
      // Also when the callback threw: the record it was given counts as consumed.
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
