import { getBackend } from './backend.js';
import { kernelThreadId, onMainThread } from './main-thread.js';

const { existsSync } = process.getBuiltinModule('node:fs');

/**
 * Descriptors opened in worker threads, so they are closed when the thread ends.
 *
 * Descriptors belong to the process, not the thread, so a worker that ends with objects
 * still open leaks them: FinalizationRegistry callbacks do not run when a thread's isolate
 * is torn down. Evaluated on Node 20.20:
 * - A worker that ends by itself (its event loop runs dry, or `process.exit()`) emits
 *   `process` 'exit' in the worker: each worker thread closes its own descriptors there.
 * - `worker.terminate()` runs nothing of the worker's JavaScript (no 'exit', no finalizer),
 *   and only the thread that holds the `Worker` sees its 'exit' event; MessagePort 'close'
 *   likewise needs a port held by a surviving thread. So another thread has to close them:
 *   descriptors opened in workers are recorded in one table per process (a
 *   SharedArrayBuffer indexed by descriptor number, holding the owner's thread id), which
 *   {@link shareDescriptorTable} hands to workers through `setEnvironmentData`, and
 *   {@link closeDescriptorsOfEndedThreads} closes those whose thread no longer exists
 *   (`/proc/self/task/<tid>`). A slot is claimed with compare-and-swap before its descriptor
 *   is closed, and a live owner clears it before closing, so no descriptor is closed twice
 *   and none is closed while its owner lives.
 * - Without bpfkit in the thread that starts the workers, no thread outlives them to
 *   close their descriptors: they stay open until the process exits.
 */

const TABLE_KEY = '@bpfkit/descriptor-table';
/** Descriptors numbered past this are not recorded in the shared table (the exit hook still closes them). */
const TABLE_SLOTS = 1 << 16;

let exitHookInstalled = false;
/** Descriptors this worker thread holds open. */
const owned = new Set<number>();

/**
 * `node:worker_threads`, loaded when used rather than imported: a worker thread has it loaded
 * already, and the main thread needs it only to share the table (loading it loads
 * `node:stream`, see {@link onMainThread}).
 */
function workerThreads(): typeof import('node:worker_threads') {
  return process.getBuiltinModule('node:worker_threads');
}

/** The table {@link shareDescriptorTable} shared with this thread, if any. */
function table(): Int32Array | undefined {
  const shared = workerThreads().getEnvironmentData(TABLE_KEY);
  return shared instanceof SharedArrayBuffer ? new Int32Array(shared) : undefined;
}

/**
 * Creates the process's table of worker descriptors (once) and hands it to every worker
 * this thread starts from now on (and to theirs). Call it before starting workers that use
 * bpfkit, then {@link closeDescriptorsOfEndedThreads} after terminating them.
 */
export function shareDescriptorTable(): void {
  if (table() === undefined) workerThreads().setEnvironmentData(TABLE_KEY, new SharedArrayBuffer(TABLE_SLOTS * 4));
}

/** Closes every descriptor this worker thread still holds (its `process` 'exit'). */
function closeOwned(): void {
  const slots = table();
  for (const fd of owned) {
    if (slots !== undefined && fd < TABLE_SLOTS) Atomics.store(slots, fd, 0);
    getBackend().close(fd);
  }
  owned.clear();
}

/** Records that this thread opened `fd`; does nothing on the main thread, whose end is the process's. */
export function trackDescriptor(fd: number): void {
  if (fd < 0 || onMainThread()) return;
  owned.add(fd);
  const slots = table();
  if (slots !== undefined && fd < TABLE_SLOTS) Atomics.store(slots, fd, kernelThreadId());
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', closeOwned);
  }
}

/** Forgets `fd` before this thread closes it. */
export function untrackDescriptor(fd: number): void {
  if (onMainThread() || !owned.delete(fd)) return;
  const slots = table();
  if (slots !== undefined && fd < TABLE_SLOTS) Atomics.store(slots, fd, 0);
}

/**
 * Closes the descriptors that workers which no longer exist left open (terminated ones,
 * typically), as recorded in the table {@link shareDescriptorTable} shared. Returns how many
 * it closed; 0 when no table was shared with this thread.
 */
export function closeDescriptorsOfEndedThreads(): number {
  const slots = table();
  if (slots === undefined) return 0;
  const alive = new Map<number, boolean>();
  let closed = 0;
  for (let fd = 0; fd < TABLE_SLOTS; fd++) {
    const tid = Atomics.load(slots, fd);
    if (tid === 0) continue;
    let live = alive.get(tid);
    if (live === undefined) {
      live = existsSync(`/proc/self/task/${tid}`);
      alive.set(tid, live);
    }
    if (live || Atomics.compareExchange(slots, fd, tid, 0) !== tid) continue;
    getBackend().close(fd);
    closed++;
  }
  return closed;
}
