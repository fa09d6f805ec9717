import { backgroundBatchesInFlight, startMapUpdateBatch } from './background-batch.js';
import { mapLookup } from './maps.js';
import type { MapLayout } from './value-layout.js';

/**
 * How long to wait for a worker thread to write the slots before writing them here instead.
 * Each batch in flight holds an FFI worker thread (about one per CPU) for one RCU grace
 * period, so loads in quick succession can wait for a thread; that wait is short, while
 * giving up costs a grace period per slot.
 */
const START_TIMEOUT_MS = 250;

/**
 * Background batches whose results have not reached the event loop, past which slots are
 * written synchronously: a program loading objects without ever yielding would otherwise
 * queue calls without end (and wait behind them).
 */
const MAX_IN_FLIGHT = 8;
const pause = new Int32Array(new SharedArrayBuffer(4));

/** What became of a background slot batch. */
export interface SlotBatchOutcome {
  /** Slots written, counting from the first: all of them, or those before the one that failed. */
  readonly written: number;
  /**
   * `written`: all seen in the map; `entry-failed`: the kernel stopped at a slot;
   * `no-start`: no worker thread ran it in time (it is cancelled); `busy`: not started, as
   * too many are in flight or the FFI refused another: write the slots synchronously.
   */
  readonly how: 'written' | 'entry-failed' | 'no-start' | 'busy';
}

/**
 * Writes map-in-map slots with one BPF_MAP_UPDATE_BATCH on a worker thread, and returns as
 * soon as the kernel has written them, without waiting out the RCU grace period that ends
 * every update of an ARRAY/HASH_OF_MAPS (10–25 ms per call here). Nothing runs the new map
 * yet, so no reader can hold an old value: the wait protects no one at load time. The
 * batch writes slots in order, so the last slot appearing in the map means all were
 * written; an entry the kernel refuses after the first shows in the count it writes back.
 * A refused first slot cannot be told from a batch still writing (the kernel zeroes the
 * count when it starts), so it ends as `no-start` at the timeout. Slots not written are
 * left for the caller to write one by one, which names the failing slot.
 */
export function writeSlotsInBackground(
  outerFd: number,
  outer: MapLayout,
  keys: Uint8Array,
  values: Uint8Array,
  count: number,
): SlotBatchOutcome {
  if (backgroundBatchesInFlight() >= MAX_IN_FLIGHT) return { written: 0, how: 'busy' };
  let batch: ReturnType<typeof startMapUpdateBatch>;
  try {
    batch = startMapUpdateBatch(outerFd, keys, values, count, outer);
  } catch {
    return { written: 0, how: 'busy' };
  }
  const lastKey = keys.subarray((count - 1) * 4, count * 4);
  const deadline = performance.now() + START_TIMEOUT_MS;
  for (;;) {
    if (lastSlotWritten(outerFd, outer, lastKey)) {
      batch.release();
      return { written: count, how: 'written' };
    }
    // 0 is ambiguous (writing, or stopped at the first slot): only a count between says the kernel stopped.
    const reported = batch.reportedCount;
    if (reported > 0 && reported < count) {
      batch.release();
      return { written: reported, how: 'entry-failed' };
    }
    if (performance.now() > deadline) {
      batch.cancel();
      return { written: 0, how: 'no-start' };
    }
    Atomics.wait(pause, 0, 0, 0.02);
  }
}

/** True when the outer map holds the last slot; a failed lookup counts as not yet. */
function lastSlotWritten(outerFd: number, outer: MapLayout, key: Uint8Array): boolean {
  try {
    return mapLookup(outerFd, key, outer) !== undefined;
  } catch {
    return false;
  }
}
