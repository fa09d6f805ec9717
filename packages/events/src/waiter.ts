import {
  BpfSyscallError,
  drainEventFd,
  EpollEvent,
  EpollOp,
  EpollReadyList,
  epollControl,
  epollCreate,
  epollWaitNow,
  type Fd,
  type LoopWatch,
  openEventFd,
  signalEventFd,
  startEpollWait,
  watchOnEventLoop,
} from '@bpfkit/syscall';

/** One fd a {@link Waiter} watches, for one reader or writer. */
export interface Watch {
  /**
   * Asks to be called once when the fd is ready (readable, or writable for a user ring
   * buffer). Arming an armed watch does nothing; the call disarms it.
   */
  arm(): void;
  /** Withdraws the request; a wake-up already on its way is dropped. */
  disarm(): void;
  /** Stops watching the fd (before it is closed); later calls do nothing. */
  remove(): void;
}

interface Entry {
  readonly fd: number;
  readonly events: number;
  readonly onReady: () => void;
  readonly hasData: (() => boolean) | undefined;
  armed: boolean;
  /**
   * True while the kernel will report the fd once it is ready: an `EPOLL_CTL_MOD` armed it
   * and no `epoll_wait` has reported it since (one-shot). A watch run because its `hasData`
   * saw data was not reported, so arming it again needs no system call.
   */
  armedInKernel: boolean;
}

/** Token of the waiter's own eventfd, which ends a wait early. */
const INTERRUPT = 0;
/** Consecutive failed waits after which the waiter stops retrying and closes. */
const MAX_FAILED_WAITS = 8;

/**
 * Waits for many event channels at once, without blocking the event loop: one epoll fd holds
 * every watched ring (as `ring_buffer__add` does). On the main thread the event loop itself
 * watches that epoll fd (libuv's `uv_poll`), so the kernel wakes the loop directly, as it
 * wakes a C reader blocked in `epoll_wait`; on a worker thread (whose loop cannot be reached)
 * one `epoll_wait` runs on a libuv pool thread instead, and reports to the loop. Either way
 * the wait is pending only while some watch is armed, so an idle reader costs no CPU.
 * Readiness is reported on the event loop, where the readers read their mapped pages.
 *
 * When the loop is woken, a reader that can see its records in its mapped pages (a
 * `hasData` check given to {@link watch}) is called first, before the epoll fd is read
 * (`epoll_wait` with no timeout, a system call and an FFI call on the way to the callback):
 * the read then clears what the epoll fd reported for readers already run and re-armed, and
 * wakes the others. A reader run that way was not reported by the kernel, whose one-shot
 * arm therefore still holds: arming it again needs no `epoll_ctl`; and when every watch has
 * such a check and is armed again, the read is left out too. A reader with a `'data'`
 * listener makes no system call per wake-up then.
 *
 * Watches are one-shot (`EPOLLONESHOT`): a reader arms its watch when it has drained its
 * ring and wants more, so a reader that is not being consumed is never woken. While no
 * watch is armed no wait is pending, so the process can exit; on a pool thread an eventfd
 * in the set ends a pending wait at once when the last watch is disarmed or removed. The
 * epoll fd (and that eventfd) open with the first watch and close once the last is removed
 * and no pool thread waits on them ({@link idle}).
 */
export class Waiter {
  private epoll: Fd | undefined;
  private interrupt: Fd | undefined;
  /** The event loop's watch of the epoll fd (main thread), else undefined (a pool thread waits). */
  private loopWatch: LoopWatch | undefined;
  /** True while {@link loopWatch} is started. */
  private polling = false;
  private readonly entries = new Map<number, Entry>();
  /** Entries watched without a `hasData` check. */
  private withoutHasData = 0;
  private nextToken = INTERRUPT + 1;
  private armed = 0;
  private waiting = false;
  private dispatching = false;
  private failedWaits = 0;
  private readonly ready = new EpollReadyList(64);
  private idleWaiters: (() => void)[] = [];

  /**
   * Watches `fd` for `events` ({@link EpollEvent}.IN or OUT); `onReady` runs on the event
   * loop each time the watch, once armed, sees the fd ready. `hasData`, when given, tells
   * without a system call whether the fd would be reported readable (records in a mapped
   * ring): an armed watch whose `hasData` is true is run as soon as the event loop wakes.
   * @throws a `BpfSyscallError` when epoll or the eventfd cannot be created, or the fd
   * cannot be watched.
   */
  watch(fd: number, events: number, onReady: () => void, hasData?: () => boolean): Watch {
    const epoll = this.open();
    const token = this.nextToken++;
    epollControl(epoll.fd, EpollOp.ADD, fd, EpollEvent.ONESHOT, token);
    const entry: Entry = { fd, events, onReady, hasData, armed: false, armedInKernel: false };
    this.entries.set(token, entry);
    if (hasData === undefined) this.withoutHasData++;
    return {
      arm: () => {
        if (entry.armed || !this.entries.has(token) || this.epoll === undefined) return;
        if (!entry.armedInKernel) {
          epollControl(this.epoll.fd, EpollOp.MODIFY, fd, events | EpollEvent.ONESHOT, token);
          entry.armedInKernel = true;
        }
        entry.armed = true;
        this.armed++;
        this.startWait();
      },
      disarm: () => {
        if (!entry.armed) return;
        entry.armed = false;
        this.armed--;
        this.interruptIfUnarmed();
      },
      remove: () => {
        if (!this.entries.delete(token)) return;
        if (hasData === undefined) this.withoutHasData--;
        if (entry.armed) {
          entry.armed = false;
          this.armed--;
        }
        if (this.epoll !== undefined) epollControl(this.epoll.fd, EpollOp.DELETE, fd, 0, token);
        if (this.entries.size === 0) this.shutDown();
        else this.interruptIfUnarmed();
      },
    };
  }

  /** Number of fds watched. */
  get size(): number {
    return this.entries.size;
  }

  /** Settles once no wait is pending on a pool thread (at once when none is). */
  idle(): Promise<void> {
    if (!this.waiting) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private open(): Fd {
    if (this.epoll !== undefined) return this.epoll;
    const epoll = epollCreate('event waiter epoll');
    try {
      this.loopWatch = watchOnEventLoop(epoll.fd, () => this.loopReadable());
      if (this.loopWatch === undefined) this.interrupt = this.openInterrupt(epoll);
    } catch (error) {
      epoll.close();
      throw error;
    }
    this.epoll = epoll;
    return epoll;
  }

  /** The eventfd that ends a pool thread's wait, added to `epoll`. */
  private openInterrupt(epoll: Fd): Fd {
    const interrupt = openEventFd('event waiter eventfd');
    try {
      epollControl(epoll.fd, EpollOp.ADD, interrupt.fd, EpollEvent.IN, INTERRUPT);
    } catch (error) {
      interrupt.close();
      throw error;
    }
    return interrupt;
  }

  private startWait(): void {
    if (this.dispatching || this.armed === 0 || this.epoll === undefined) return;
    if (this.loopWatch !== undefined) {
      if (this.polling) return;
      const started = this.loopWatch.start();
      if (started < 0) throw new BpfSyscallError('uv_poll_start', -started, { object: 'event waiter epoll' });
      this.polling = true;
      return;
    }
    if (this.waiting) return;
    this.waiting = true;
    startEpollWait(this.epoll.fd, this.ready, (count) => this.woken(count));
  }

  /**
   * The event loop saw the epoll fd readable: runs the armed watches that see their data in
   * memory, then reads what epoll reports ready without blocking, for the other watches.
   * That read is left out when every watch has a `hasData` check and is armed again (a
   * reader with a listener, after each wake-up): each that had data in memory has run, and
   * what the epoll fd still lists is either ready, and the loop sees the epoll fd readable
   * again at its next turn, or dropped by the kernel, which checks each listed fd again
   * when the loop asks whether the epoll fd is readable.
   */
  private loopReadable(): void {
    this.runWatchesWithData();
    if (this.epoll === undefined) return;
    if (this.withoutHasData > 0 || this.armed < this.entries.size) {
      this.dispatch(epollWaitNow(this.epoll.fd, this.ready));
    }
    if (this.armed === 0) this.stopPolling();
  }

  /** Runs the callbacks of the armed watches whose `hasData` check is true. */
  private runWatchesWithData(): void {
    this.dispatching = true;
    try {
      for (const entry of this.entries.values()) {
        if (!entry.armed || entry.hasData === undefined || !entry.hasData()) continue;
        entry.armed = false;
        this.armed--;
        entry.onReady();
      }
    } finally {
      this.dispatching = false;
    }
  }

  /** A pool thread's wait returned `count` ready entries (-1: it failed). */
  private woken(count: number): void {
    this.waiting = false;
    if (this.entries.size === 0) {
      this.closeFds();
      this.settle();
      return;
    }
    this.dispatch(count);
    if (!this.waiting) this.settle();
  }

  /** Runs the callbacks of the `count` entries of {@link ready} (a failed wait when negative). */
  private dispatch(count: number): void {
    // Read every ready token before running callbacks: one may re-arm and start the next
    // wait, which writes into the same list.
    const tokens: number[] = [];
    for (let i = 0; i < count; i++) tokens.push(this.ready.token(i));
    this.failedWaits = count < 0 ? this.failedWaits + 1 : 0;
    this.dispatching = true;
    try {
      for (const token of tokens) {
        if (token === INTERRUPT) {
          if (this.interrupt !== undefined) drainEventFd(this.interrupt.fd);
          continue;
        }
        const entry = this.entries.get(token);
        if (entry === undefined) continue;
        entry.armedInKernel = false;
        if (!entry.armed) continue;
        entry.armed = false;
        this.armed--;
        entry.onReady();
      }
    } finally {
      this.dispatching = false;
    }
    if (this.failedWaits >= MAX_FAILED_WAITS) {
      // The epoll fd no longer waits (it cannot fail otherwise): stop rather than spin.
      for (const entry of this.entries.values()) entry.armed = false;
      this.armed = 0;
    }
    this.startWait();
  }

  private stopPolling(): void {
    if (!this.polling) return;
    this.polling = false;
    this.loopWatch?.stop();
  }

  private interruptIfUnarmed(): void {
    if (this.armed !== 0) return;
    this.stopPolling();
    if (this.waiting && this.interrupt !== undefined) signalEventFd(this.interrupt.fd);
  }

  private shutDown(): void {
    this.stopPolling();
    if (this.waiting && this.interrupt !== undefined) signalEventFd(this.interrupt.fd);
    else this.closeFds();
  }

  private closeFds(): void {
    this.loopWatch?.close();
    this.interrupt?.close();
    this.epoll?.close();
    this.loopWatch = undefined;
    this.interrupt = undefined;
    this.epoll = undefined;
  }

  private settle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

let shared: Waiter | undefined;

/** The waiter readers and writers use unless given their own: one per process. */
export function sharedWaiter(): Waiter {
  shared ??= new Waiter();
  return shared;
}
