const { readlinkSync } = process.getBuiltinModule('node:fs');

let tid: number | undefined;

/** The calling thread's kernel thread id, from `/proc/thread-self` (`<pid>/task/<tid>`), cached. */
export function kernelThreadId(): number {
  tid ??= Number(readlinkSync('/proc/thread-self').split('/').pop());
  return tid;
}

/**
 * Whether JavaScript runs on the process's first thread (its kernel thread id is the process
 * id), where the node executable runs its main thread; worker threads never do.
 *
 * `node:worker_threads`' `isMainThread` would say the same, but loading that module loads
 * `node:stream`, a few milliseconds of a fresh process's first load (issue #15) for a fact one
 * `readlink` gives.
 */
export function onMainThread(): boolean {
  return kernelThreadId() === process.pid;
}
