import type { Fd } from '@bpfkit/syscall';

/**
 * Owns what a load opens. On failure {@link closeAll} runs the undo actions (unpinning) and
 * closes every descriptor, newest first. On success {@link commit} forgets the undo actions
 * and keeps the descriptors until the object is closed.
 */
export class ResourceScope {
  private readonly fds: Fd[] = [];
  private readonly undo: (() => void)[] = [];

  /** Records an open descriptor and returns it. */
  own<T extends Fd>(fd: T): T {
    this.fds.push(fd);
    return fd;
  }

  /** Registers an action that reverses a side effect (e.g. removing a pin) on failure. */
  onFailure(action: () => void): void {
    this.undo.push(action);
  }

  /** Closes every descriptor, newest first, after running the undo actions; never throws. */
  closeAll(): void {
    for (const action of this.undo.reverse()) {
      try {
        action();
      } catch {
        // Best effort: the original error matters more than a failed cleanup.
      }
    }
    this.undo.length = 0;
    for (const fd of this.fds.reverse()) fd.close();
    this.fds.length = 0;
  }

  /** Makes the load's side effects permanent (pins stay); descriptors stay owned until {@link closeAll}. */
  commit(): void {
    this.undo.length = 0;
  }
}
