import { getBackend } from './backend.js';
import { BpfSyscallError } from './errors.js';
import { disownDescriptor, ownDescriptor } from './known-layouts.js';
import { trackDescriptor, untrackDescriptor } from './thread-descriptors.js';

/** Called with a description of each file descriptor that was garbage-collected while open. */
export type LeakReporter = (description: string) => void;

let reportLeak: LeakReporter = (description) => {
  process.emitWarning(
    `bpfkit: ${description} was garbage-collected without close(); closing it now`,
    'BpfkitLeakWarning',
  );
};

/** Replaces how leaked file descriptors are reported (tests collect them). */
export function onLeak(reporter: LeakReporter): void {
  reportLeak = reporter;
}

const registry = new FinalizationRegistry<{ fd: number; description: string }>((held) => {
  reportLeak(held.description);
  disownDescriptor(held.fd);
  untrackDescriptor(held.fd);
  getBackend().close(held.fd);
});

/**
 * Owns one kernel file descriptor (map, program, BTF, link). `close()` is idempotent and
 * `using` closes it too; a descriptor dropped while open is closed when garbage-collected
 * and reported as a leak. In a worker thread it is also closed when the worker ends, and
 * after `worker.terminate()` by `closeDescriptorsOfEndedThreads()` (see there).
 */
export class Fd {
  private value: number;

  constructor(
    fd: number,
    /** What the descriptor is, for leak reports (`map 'outer_hash'`). */
    readonly description: string,
  ) {
    this.value = fd;
    registry.register(this, { fd, description }, this);
    trackDescriptor(fd);
    ownDescriptor(fd);
  }

  /** The descriptor number; -1 once closed. */
  get fd(): number {
    return this.value;
  }

  /** True until {@link close}. */
  get open(): boolean {
    return this.value >= 0;
  }

  /** Closes the descriptor; later calls do nothing. */
  close(): void {
    if (this.value < 0) return;
    registry.unregister(this);
    disownDescriptor(this.value);
    untrackDescriptor(this.value);
    getBackend().close(this.value);
    this.value = -1;
  }

  /** Same as {@link close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * A new descriptor for `fd`'s file (`F_DUPFD_CLOEXEC`), owned by the caller: the object
 * stays alive until this one closes, whoever closes the original first.
 * @throws {@link BpfSyscallError} (command `fcntl(F_DUPFD_CLOEXEC)`; EBADF when `fd` is closed).
 */
export function duplicateFd(fd: number, description: string): Fd {
  const copy = getBackend().duplicate(fd);
  if (copy < 0) throw new BpfSyscallError('fcntl(F_DUPFD_CLOEXEC)', -copy, { object: description });
  return new Fd(copy, description);
}
