import type { WaitOptions } from './reader.js';

/** What a reader's `nextRecord()` returns when no record is ready (for subclasses of {@link EventReader}). */
export const NO_RECORD: unique symbol = Symbol('no record');

/** A wait registered with a reader, settled with true when a record can be read. */
export interface PendingWait {
  readonly resolve: (readable: boolean) => void;
}

/** What a {@link RecordIterator} needs from its reader. */
export interface RecordSource<Item> {
  /** True once the reader closed. */
  isClosed(): boolean;
  /** The next record as an item the caller may keep, or {@link NO_RECORD} when none is ready. */
  nextRecord(): Item | typeof NO_RECORD;
  /**
   * Settles with true once a record can be read, false when the reader closes first;
   * hands the registered wait to `track` (and `undefined` once it settled).
   */
  wait(options: WaitOptions, track: (entry: PendingWait | undefined) => void): Promise<boolean>;
  /** Ends a wait still registered (it settles with false) without asking for a wake-up. */
  cancel(entry: PendingWait): void;
}

const finished: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * The async iterator of a reader's records. A step with a record ready costs one resolved
 * promise and the item: no generator, no closure per step, no batch array. Only when none
 * is ready does it wait (woken by the kernel); `return()` (a `break`) ends that wait at once.
 */
export class RecordIterator<Item> implements AsyncIterableIterator<Item> {
  private readonly source: RecordSource<Item>;
  private readonly options: WaitOptions;
  private done = false;
  private waiting: PendingWait | undefined;
  private readonly track = (entry: PendingWait | undefined): void => {
    this.waiting = entry;
  };
  private readonly afterWait = (readable: boolean): Promise<IteratorResult<Item>> | IteratorResult<Item> => {
    if (readable && !this.done) return this.next();
    this.done = true;
    return finished;
  };

  /** An iterator over `source`'s records; `options.signal` ends a wait by rejecting. */
  constructor(source: RecordSource<Item>, options: WaitOptions) {
    this.source = source;
    this.options = options;
  }

  /** The next record, at once when one is ready, else once the kernel reports one. */
  next(): Promise<IteratorResult<Item>> {
    if (!this.done && !this.source.isClosed()) {
      const record = this.source.nextRecord();
      if (record !== NO_RECORD) return Promise.resolve({ done: false, value: record });
      return this.source.wait(this.options, this.track).then(this.afterWait);
    }
    this.done = true;
    return Promise.resolve(finished);
  }

  /** Ends the iteration; a `next()` still waiting settles as done, and no wake-up is asked for it. */
  return(): Promise<IteratorResult<Item>> {
    this.done = true;
    const entry = this.waiting;
    if (entry !== undefined) this.source.cancel(entry);
    return Promise.resolve(finished);
  }

  /** The iterator itself. */
  [Symbol.asyncIterator](): this {
    return this;
  }
}
