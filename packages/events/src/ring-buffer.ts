import { EpollEvent, type Fd, mapInfo } from '@bpfkit/syscall';
import { EventsError } from './errors.js';
import { ownDuplicate } from './own-fd.js';
import { EventReader } from './reader.js';
import { BUSY_BIT, DISCARD_BIT, HEADER_SIZE, mapRingPages, type RingPages, unmapRingPages } from './ring-layout.js';
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
   * yields; a copy of the bytes by default. Decoders from {@link recordDecoder} fit here.
   */
  readonly decode?: (view: Uint8Array) => Item;
}

/**
 * A reader of a `BPF_MAP_TYPE_RINGBUF`, as the kernel defines the protocol: it maps the
 * consumer page (writable) and the producer and data pages (read-only, the data mapped twice
 * so a record never wraps in the view), reads records from the consumer position up to the
 * producer position, stops at a record still being written (busy bit), skips discarded ones,
 * and writes the consumer position back after each record with an atomic store. The kernel
 * wakes the reader only when it had caught up (adaptive notification) or a producer forces
 * it; a wake-up is asked for only when the ring is empty and someone waits.
 */
export class RingBuffer<Item = Uint8Array> extends EventReader<Item, Uint8Array> {
  private readonly fd: Fd;
  private readonly pages: RingPages;
  private readonly watch: Watch;
  private readonly mask: number;
  private readonly decode: (view: Uint8Array) => Item;
  /** The consumer position as last written (only this reader writes it). */
  private consumed: number;

  /** @internal Use {@link openRingBuffer}. */
  constructor(fd: Fd, pages: RingPages, waiter: Waiter, decode: (view: Uint8Array) => Item) {
    super();
    this.fd = fd;
    this.pages = pages;
    this.mask = pages.size - 1;
    this.decode = decode;
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
    const header = Atomics.load(this.pages.words, (position & this.mask) >>> 2);
    return (header & BUSY_BIT) === 0;
  }

  protected takeOne(): Item | undefined {
    let item: Item | undefined;
    this.consumeViews((view) => {
      item = this.decode(view);
    }, 1);
    return item;
  }

  protected consumeViews(callback: (view: Uint8Array) => void, limit: number): number {
    const { data, words, producerPos, consumerPos } = this.pages;
    const mask = this.mask;
    let position = this.consumed;
    let count = 0;
    let produced = producerPos.load();
    while (count < limit) {
      if (position >= produced) {
        // Caught up: look once more, as a producer may have committed meanwhile.
        produced = producerPos.load();
        if (position >= produced) break;
      }
      const offset = position & mask;
      const header = Atomics.load(words, offset >>> 2);
      if ((header & BUSY_BIT) !== 0) break;
      const length = header & ~(BUSY_BIT | DISCARD_BIT);
      const next = position + ((length + HEADER_SIZE + 7) & ~7);
      try {
        if ((header & DISCARD_BIT) === 0) {
          count++;
          // A constructor call, not subarray(): no species lookup, several times faster here.
          callback(new Uint8Array(data.buffer, data.byteOffset + offset + HEADER_SIZE, length));
        }
      } finally {
        consumerPos.store(next, position);
        this.consumed = position = next;
      }
    }
    return count;
  }

  protected armWatches(): void {
    this.watch.arm();
  }

  protected disarmWatches(): void {
    this.watch.disarm();
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
    const decode = options.decode ?? ((view: Uint8Array) => view.slice() as Item);
    try {
      return new RingBuffer(fd, pages, options.waiter ?? sharedWaiter(), decode);
    } catch (error) {
      unmapRingPages(pages);
      throw error;
    }
  } catch (error) {
    fd.close();
    throw error;
  }
}
