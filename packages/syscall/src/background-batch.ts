import { getBackend } from './backend.js';
import { BpfCommand } from './commands.js';
import { Errno } from './errno.js';
import { BpfSyscallError } from './errors.js';
import { batchAttr } from './generated/attr.js';
import { updateBatchAttr } from './maps.js';
import { trackDescriptor, untrackDescriptor } from './thread-descriptors.js';
import type { MapLayout } from './value-layout.js';

const { closeSync, openSync } = process.getBuiltinModule('node:fs');

/** A BPF_MAP_UPDATE_BATCH running on a pool thread; see {@link startMapUpdateBatch}. */
export interface BackgroundBatch {
  /**
   * The request's entry count field as it stands: the full count until the kernel starts,
   * 0 while it writes entries (the kernel zeroes the field first), then the number it wrote
   * (fewer when an entry failed). A full success ends at the full count again, so success
   * is seen in the map itself.
   */
  readonly reportedCount: number;
  /** Settles when the call returns: the number of entries written, or -1 for a failure. */
  readonly done: Promise<number>;
  /**
   * Closes the call's own descriptor now. Only once the call is known to have started (its
   * writes are visible): the kernel then holds the map, and the number may be reused.
   */
  release(): void;
  /**
   * Stops a call that may not have started: its descriptor is pointed at `/dev/null`, so a
   * late start fails without writing anything. The descriptor closes when the call returns.
   */
  cancel(): void;
}

type State = 'running' | 'released' | 'cancelled' | 'closed';

/** Calls started whose result has not reached the event loop yet. */
const inFlight = new Set<Promise<number>>();

/**
 * Background batches whose result has not reached the event loop yet. Their results (and
 * the FFI's resources for them) arrive only when the event loop runs, so a program that
 * starts many without yielding should write synchronously past some number.
 */
export function backgroundBatchesInFlight(): number {
  return inFlight.size;
}

/** Settles once every background batch started so far has returned (RCU waits included). */
export async function backgroundBatchesSettled(): Promise<void> {
  while (inFlight.size > 0) await Promise.all(inFlight);
}

/**
 * Starts BPF_MAP_UPDATE_BATCH on an FFI worker thread and returns at once. For an
 * ARRAY_OF_MAPS or HASH_OF_MAPS the kernel writes every entry and then waits an RCU grace
 * period (about 10–25 ms) before returning, so that no program still sees an old value;
 * writing the slots of a map nothing uses yet, a loader has no need to wait for that, and
 * can watch the entries appear instead. The call works on its own duplicate of `mapFd`, so
 * closing `mapFd` meanwhile is safe. Buffers are kept alive until the call returns.
 * @throws {@link BpfSyscallError} when the buffers do not match `layout` and `count` (EINVAL,
 * before anything is opened), when the descriptor cannot be duplicated, or EAGAIN when the
 * FFI's queue of background calls is full (its results wait for the event loop).
 */
export function startMapUpdateBatch(
  mapFd: number,
  keys: Uint8Array,
  values: Uint8Array,
  count: number,
  layout: MapLayout,
  flags = 0,
): BackgroundBatch {
  // Checked before the duplicate exists, so a refusal leaves nothing open; the call then names the duplicate.
  const attr = updateBatchAttr(mapFd, keys, values, count, layout, flags);
  const b = getBackend();
  const ownFd = b.duplicate(mapFd);
  if (ownFd < 0) throw new BpfSyscallError('fcntl(F_DUPFD_CLOEXEC)', -ownFd);
  // Recorded like any other descriptor, so a worker terminated mid-call does not leak it.
  trackDescriptor(ownFd);
  const closeOwn = () => {
    untrackDescriptor(ownFd);
    b.close(ownFd);
  };
  attr.u32(batchAttr.map_fd, ownFd);
  let state: State = 'running';
  let refused: unknown;
  // Set only once `done` exists: a backend may call back before the promise is made.
  let tracked: Promise<number> | undefined;
  const done = new Promise<number>((resolve) => {
    try {
      b.bpfInBackground(BpfCommand.MAP_UPDATE_BATCH, attr.bytes, attr.size, (result) => {
        if (state === 'running' || state === 'cancelled') closeOwn();
        state = 'closed';
        if (tracked !== undefined) inFlight.delete(tracked);
        // Reading the attr here also keeps it (and the key and value buffers it points at) alive until now.
        resolve(result < 0 ? -1 : attr.readU32(batchAttr.count));
      });
    } catch (error) {
      refused = error; // the FFI's queue of background calls is full
    }
  });
  if (refused !== undefined) {
    closeOwn();
    throw new BpfSyscallError(BpfCommand.MAP_UPDATE_BATCH, Errno.EAGAIN, {}, [String(refused)]);
  }
  if (state === 'running') {
    tracked = done;
    inFlight.add(done);
  }
  return {
    get reportedCount() {
      return attr.readU32(batchAttr.count);
    },
    done,
    release() {
      if (state !== 'running') return;
      closeOwn();
      state = 'released';
    },
    cancel() {
      if (state !== 'running') return;
      const devNull = openSync('/dev/null', 'r');
      try {
        b.duplicateOnto(devNull, ownFd);
      } finally {
        closeSync(devNull);
      }
      state = 'cancelled';
    },
  };
}
