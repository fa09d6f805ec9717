import { EpollEvent, type Fd, mapInfo } from '@bpfkit/syscall';
import { EventsError } from './errors.js';
import { ownDuplicate } from './own-fd.js';
import type { WaitOptions } from './reader.js';
import {
  BUSY_BIT,
  DISCARD_BIT,
  HEADER_SIZE,
  mapRingPages,
  type RingPages,
  recordSpan,
  unmapRingPages,
} from './ring-layout.js';
import { sharedWaiter, type Waiter, type Watch } from './waiter.js';

/** `BPF_MAP_TYPE_USER_RINGBUF`. */
export const MAP_TYPE_USER_RINGBUF = 31;

/** The largest record a `bpf_dynptr` holds, so the largest a program can drain (16 MiB - 1). */
const MAX_DYNPTR_SIZE = (1 << 24) - 1;

/** Options for {@link openUserRingBuffer}. */
export interface UserRingBufferOptions {
  /** The map's name, for errors. */
  readonly name?: string;
  /** The waiter to share with other channels; the process's shared one by default. */
  readonly waiter?: Waiter;
}

/** A record reserved in a user ring buffer: fill {@link bytes}, then submit or discard it. */
export interface UserRingRecord {
  /** The record's bytes in the ring, writable until submitted or discarded. */
  readonly bytes: Uint8Array;
  /** Hands the record to the kernel: `bpf_user_ringbuf_drain` passes it to its callback. */
  submit(): void;
  /** Gives the record up: the kernel skips it. */
  discard(): void;
}

/**
 * A writer of a `BPF_MAP_TYPE_USER_RINGBUF`: user space produces, a BPF program consumes
 * with `bpf_user_ringbuf_drain`. It maps the consumer page read-only and the producer page
 * and data (mapped twice) writable, reserves a record by writing its header with the busy bit
 * and moving the producer position (atomic stores, the kernel reads them with acquire), and
 * submits it by clearing the busy bit, or discards it by setting the discard bit. Records
 * are taken in order: the kernel stops at the first one still busy. The kernel has no
 * wake-up for the consuming side (a program drains when it runs); when the ring is full,
 * {@link reserveAsync} waits for the kernel's wake-up after a drain (EPOLLOUT).
 */
export class UserRingBuffer {
  private readonly fd: Fd;
  private readonly pages: RingPages;
  private readonly watch: Watch;
  private readonly mask: number;
  private readonly map: string;
  private produced: number;
  private isClosed = false;
  private readonly spaceWaiters = new Set<() => void>();

  /** @internal Use {@link openUserRingBuffer}. */
  constructor(fd: Fd, pages: RingPages, waiter: Waiter, map: string) {
    this.fd = fd;
    this.pages = pages;
    this.mask = pages.size - 1;
    this.map = map;
    this.produced = pages.producerPos.load();
    this.watch = waiter.watch(fd.fd, EpollEvent.OUT, () => this.spaceMade());
  }

  /** Size of the ring's data area in bytes. */
  get size(): number {
    return this.pages.size;
  }

  /** True once {@link close} ran. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Bytes reserved or submitted that the kernel has not drained yet. */
  get unreadBytes(): number {
    return this.produced - this.pages.consumerPos.load();
  }

  /**
   * Reserves a record of `length` bytes, or returns `undefined` when the ring has no room
   * for it now. Records must be submitted or discarded in time: the kernel drains nothing
   * past one still reserved.
   * @throws {@link EventsError} `bad-size` for a record no ring of this size (or no dynptr)
   * can hold, `closed` after close.
   */
  reserve(length: number): UserRingRecord | undefined {
    if (this.isClosed) throw new EventsError('closed', 'the user ring buffer is closed', { map: this.map });
    const span = recordSpan(length);
    if (!Number.isInteger(length) || length < 0 || length > MAX_DYNPTR_SIZE || span > this.pages.size) {
      throw new EventsError(
        'bad-size',
        `a ${length}-byte record does not fit a ${this.pages.size}-byte user ring buffer`,
        { map: this.map, size: length },
        'a record and its 8-byte header must fit in the ring, and a program can drain at most 16 MiB - 1 bytes',
      );
    }
    const consumed = this.pages.consumerPos.load();
    const position = this.produced;
    if (position + span - consumed > this.pages.size) return undefined;
    const { data, words, producerPos } = this.pages;
    const offset = position & this.mask;
    // Header first (busy, so the kernel stops here), then the producer position (release).
    Atomics.store(words, offset >>> 2, (length | BUSY_BIT) >> 0);
    Atomics.store(words, (offset >>> 2) + 1, 0);
    producerPos.store(position + span, position);
    this.produced = position + span;
    let settled = false;
    const finish = (bits: number) => {
      if (settled) return;
      settled = true;
      if (!this.isClosed) Atomics.store(words, offset >>> 2, (length | bits) >> 0);
    };
    return {
      bytes: data.subarray(offset + HEADER_SIZE, offset + HEADER_SIZE + length),
      submit: () => finish(0),
      discard: () => finish(DISCARD_BIT),
    };
  }

  /**
   * Reserves a record of `length` bytes, waiting (without polling) until a drain makes room.
   * @throws {@link EventsError} as {@link reserve}, or `closed` when the writer closes while
   * waiting; the signal's reason when `signal` aborts.
   */
  async reserveAsync(length: number, options: WaitOptions = {}): Promise<UserRingRecord> {
    for (;;) {
      const record = this.reserve(length);
      if (record !== undefined) return record;
      await this.space(options);
    }
  }

  /** Reserves, copies `bytes` in and submits; false when the ring has no room now. */
  write(bytes: Uint8Array): boolean {
    const record = this.reserve(bytes.length);
    if (record === undefined) return false;
    record.bytes.set(bytes);
    record.submit();
    return true;
  }

  /** Stops watching, unmaps the pages and closes the writer's fd; pending waits end with `closed`. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.watch.remove();
    unmapRingPages(this.pages);
    this.fd.close();
    for (const wake of [...this.spaceWaiters]) wake();
  }

  /** Same as {@link close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  private space(options: WaitOptions): Promise<void> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.spaceWaiters.delete(wake);
        if (this.spaceWaiters.size === 0) this.watch.disarm();
        reject(signal?.reason);
      };
      const wake = () => {
        this.spaceWaiters.delete(wake);
        signal?.removeEventListener('abort', onAbort);
        if (this.isClosed)
          reject(new EventsError('closed', 'the user ring buffer closed while waiting for room', { map: this.map }));
        else resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.spaceWaiters.add(wake);
      this.watch.arm();
    });
  }

  private spaceMade(): void {
    for (const wake of [...this.spaceWaiters]) wake();
  }
}

/**
 * Opens a writer of the user ring buffer map `mapFd` (`BPF_MAP_TYPE_USER_RINGBUF`), on its
 * own duplicate of the fd.
 * @throws {@link EventsError} `wrong-map-type` for another map type, `kernel` when the map
 * cannot be mapped or watched.
 * @example
 * ```ts
 * import { openUserRingBuffer } from '@bpfkit/events';
 * import { BpfObject } from '@bpfkit/loader';
 *
 * using obj = BpfObject.open('tool.bpf.o');
 * obj.load();
 * using commands = openUserRingBuffer(obj.map('commands').fd);
 * commands.write(Uint8Array.of(1, 0, 0, 0)); // false when the ring is full
 * // the program drains it with bpf_user_ringbuf_drain() when it next runs
 * ```
 */
export function openUserRingBuffer(mapFd: number, options: UserRingBufferOptions = {}): UserRingBuffer {
  const fd = ownDuplicate(mapFd, options.name);
  try {
    const info = mapInfo(fd.fd);
    const map = options.name ?? info.name;
    if (info.type !== MAP_TYPE_USER_RINGBUF) {
      throw new EventsError(
        'wrong-map-type',
        `a user ring buffer writer needs a BPF_MAP_TYPE_USER_RINGBUF, not map type ${info.type}`,
        { map },
      );
    }
    const pages = mapRingPages(fd.fd, info.maxEntries, true, map);
    try {
      return new UserRingBuffer(fd, pages, options.waiter ?? sharedWaiter(), map);
    } catch (error) {
      unmapRingPages(pages);
      throw error;
    }
  } catch (error) {
    fd.close();
    throw error;
  }
}
