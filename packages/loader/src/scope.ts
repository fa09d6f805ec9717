import type { Fd } from '@bpfkit/syscall';

/**
 * Owns what a load opens. On failure {@link closeAll} runs the undo actions (unpinning) and
 * closes every descriptor, newest first. On success {@link commit} forgets the undo actions
 * and keeps the descriptors until the object is closed.
 */
export class ResourceScope {
  private readonly fds: Fd[] = [];
  private readonly undo: (() => void)[] = [];
  private readonly end: (() => void)[] = [];
  private readonly close: (() => void)[] = [];

  /** Records an open descriptor and returns it. */
  own<T extends Fd>(fd: T): T {
    this.fds.push(fd);
    return fd;
  }

  /** Registers an action that reverses a side effect (e.g. removing a pin) on failure. */
  onFailure(action: () => void): void {
    this.undo.push(action);
  }

  /**
   * Registers an action run once the load ends either way: at {@link commit}, or after the
   * undo actions on failure (e.g. closing a directory the undo actions unpin from).
   */
  onEnd(action: () => void): void {
    this.end.push(action);
  }

  /** Registers an action run when the descriptors are closed, before them (e.g. unmapping memory of a map). */
  onClose(action: () => void): void {
    this.close.push(action);
  }

  /** Closes every descriptor, newest first, after running the undo, end and close actions; never throws. */
  closeAll(): void {
    runAll(this.undo.reverse());
    runAll(this.end);
    runAll(this.close.reverse());
    for (const fd of this.fds.reverse()) fd.close();
    this.fds.length = 0;
  }

  /** Makes the load's side effects permanent (pins stay); descriptors stay owned until {@link closeAll}. */
  commit(): void {
    this.undo.length = 0;
    runAll(this.end);
  }
}

/** Runs and forgets `actions`; a failing one does not stop the rest (the original error matters more). */
function runAll(actions: (() => void)[]): void {
  for (const action of actions) {
    try {
      action();
    } catch {
      // Best effort.
    }
  }
  actions.length = 0;
}
