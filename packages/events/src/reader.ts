import { type NO_RECORD, type PendingWait, RecordIterator, type RecordSource } from './record-iterator.js';
import type { Watch } from './waiter.js';

/** Options for a wait on a reader. */
export interface WaitOptions {
  /** Ends the wait (and an iteration) at once, rejecting with the signal's reason. */
  readonly signal?: AbortSignal;
}

/**
 * What the ring buffer and perf buffer readers share: waiting for data without polling,
 * the async iterator of copies, `'data'` listeners fed zero-copy views, and closing.
 * A subclass reads its mapped pages; this class decides when it must be woken.
 *
 * The kernel is asked for a wake-up only while someone waits (a pending `next()`, a
 * {@link readable} promise, or a `'data'` listener) and the ring is empty: an iterator
 * that is not consumed takes nothing, and the ring fills until the kernel drops records.
 */
export abstract class EventReader<Item, View> implements AsyncIterable<Item> {
  private readonly waits = new Set<PendingWait>();
  private readonly listeners = new Set<(view: View) => void>();
  /** Gives a record's view to every `'data'` listener (one function for every wake-up). */
  private readonly emitData = (view: View): void => {
    for (const listener of this.listeners) listener(view);
  };
  private isClosed = false;
  /** What this reader's record iterators read through. */
  private readonly source: RecordSource<Item> = this.sourceOf(() => this.nextRecord());

  /** True once {@link close} ran (or the owning object closed). */
  get closed(): boolean {
    return this.isClosed;
  }

  /** True when at least one record is waiting to be read. */
  protected abstract hasData(): boolean;
  /**
   * The next record for an iterator, as an item the caller may keep, or {@link NO_RECORD}
   * when none is ready: from what an earlier call took out of the ring, else from a new take.
   * Records taken and not yet handed out stay with the reader, for the next iteration.
   */
  protected abstract nextRecord(): Item | typeof NO_RECORD;
  /** Calls `callback` with a view of each waiting record, up to `limit`; returns the count. */
  protected abstract consumeViews(callback: (view: View) => void, limit: number): number;
  /** The waiter's watches of the reader's fds (one per ring), armed while someone waits. */
  protected abstract watches(): Iterable<Watch>;
  /** Stops watching, unmaps and closes everything (once). */
  protected abstract release(): void;

  /**
   * Calls `callback` with a view of each record waiting now, in order, and returns how many:
   * the view aliases the ring and is valid only during the call (copy what you keep). The
   * record's space goes back to the producer after the callback, also when it throws.
   */
  consume(callback: (view: View) => void, limit = Number.POSITIVE_INFINITY): number {
    if (this.isClosed) return 0;
    return this.consumeViews(callback, limit);
  }

  /**
   * Settles with true once a record can be read (at once when one waits), or false when the
   * reader closes first; woken by the kernel, without polling.
   */
  readable(options: WaitOptions = {}): Promise<boolean> {
    return this.wait(options);
  }

  /** {@link readable}, handing the waiting entry to `track` so an iterator can end it. */
  private wait(options: WaitOptions, track?: (entry: PendingWait | undefined) => void): Promise<boolean> {
    if (this.isClosed) return Promise.resolve(false);
    if (this.hasData()) return Promise.resolve(true);
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<boolean>((resolve, reject) => {
      const onAbort = () => {
        this.waits.delete(entry);
        track?.(undefined);
        this.updateWatches();
        reject(signal?.reason);
      };
      const entry: PendingWait = {
        resolve: (readable) => {
          signal?.removeEventListener('abort', onAbort);
          track?.(undefined);
          resolve(readable);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waits.add(entry);
      track?.(entry);
      this.updateWatches();
    });
  }

  /**
   * The records as they come, each a copy the caller may keep; the iteration ends when the
   * reader closes, and throws the signal's reason when `signal` aborts. Records are taken
   * from the ring only when those taken before are used up, so an iteration that is not
   * consumed holds at most one take (a ring buffer's: the records ready then, up to 64 KiB;
   * a perf buffer's: up to 64 samples) and the ring fills. Leaving the loop early (`break`)
   * keeps the reader open: records not taken stay in the ring, and records taken but not
   * yet yielded come first in the next iteration.
   */
  records(options: WaitOptions = {}): AsyncIterableIterator<Item> {
    return new RecordIterator(this.source, options);
  }

  /**
   * An async iterator over what `next` returns (an item, or {@link NO_RECORD} when none is
   * ready), with the waits, backpressure, close and abort of {@link records}: for a
   * subclass's other iterators (a ring buffer's batches).
   */
  protected iterate<Next>(next: () => Next | typeof NO_RECORD, options: WaitOptions): AsyncIterableIterator<Next> {
    return new RecordIterator(this.sourceOf(next), options);
  }

  /** A source for iterators that read through `next`, waiting on this reader. */
  private sourceOf<Next>(next: () => Next | typeof NO_RECORD): RecordSource<Next> {
    return {
      isClosed: () => this.isClosed,
      nextRecord: next,
      wait: (options, track) => this.wait(options, track),
      cancel: (entry) => {
        if (this.waits.delete(entry)) {
          entry.resolve(false);
          this.updateWatches();
        }
      },
    };
  }

  /** Same as {@link records} without options: `for await (const record of reader)`. */
  [Symbol.asyncIterator](): AsyncIterator<Item> {
    return this.records();
  }

  /**
   * Calls `listener` with a zero-copy view of each record as it arrives (valid during the
   * call), until {@link off} or close. While a listener is set the reader keeps a wake-up
   * armed, which keeps the process alive.
   */
  on(event: 'data', listener: (view: View) => void): this {
    if (event !== 'data') throw new TypeError(`unknown event '${String(event)}': readers emit 'data'`);
    this.listeners.add(listener);
    if (!this.isClosed && this.hasData()) queueMicrotask(() => this.woken());
    this.updateWatches();
    return this;
  }

  /** Removes a `'data'` listener. */
  off(event: 'data', listener: (view: View) => void): this {
    if (event === 'data') this.listeners.delete(listener);
    this.updateWatches();
    return this;
  }

  /**
   * Ends every pending wait and iteration, stops watching, unmaps the pages and closes the
   * reader's own descriptors. Later calls do nothing.
   */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.listeners.clear();
    const pending = [...this.waits];
    this.waits.clear();
    this.release();
    for (const entry of pending) entry.resolve(false);
  }

  /** Same as {@link close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** What a watch calls when the kernel reports the ring ready. */
  protected woken(): void {
    if (this.isClosed) return;
    try {
      if (this.listeners.size > 0) this.consumeViews(this.emitData, Number.POSITIVE_INFINITY);
    } finally {
      // Also when a listener threw (its error goes on up): waits are settled and the reader
      // asks for its next wake-up, or it would never be woken again.
      if (!this.isClosed) this.settleWaits();
    }
  }

  /** Settles the pending waits when a record is there, and asks for a wake-up while someone waits. */
  private settleWaits(): void {
    if (this.waits.size > 0 && this.hasData()) {
      const pending = [...this.waits];
      this.waits.clear();
      for (const entry of pending) entry.resolve(true);
    }
    this.updateWatches();
  }

  private updateWatches(): void {
    if (this.isClosed) return;
    const wanted = this.waits.size > 0 || this.listeners.size > 0;
    for (const watch of this.watches()) {
      if (wanted) watch.arm();
      else watch.disarm();
    }
  }
}
