import { nativeBuffer } from './attr.js';

/**
 * An fd watched for readability by the main thread's libuv loop (a `uv_poll_t`): while
 * started, the kernel wakes the event loop itself when the fd turns readable, and the
 * callback runs there, with no pool thread in between (one wake-up, as a C reader blocked
 * in `epoll_wait`). A stopped watch costs nothing and does not keep the process alive.
 */
export interface LoopWatch {
  /** Starts watching (again); 0, or `-errno`. */
  start(): number;
  /** Stops watching; a readiness not yet reported is dropped. */
  stop(): void;
  /** Stops watching for good and frees the handle once libuv lets go of it; call before closing the fd. */
  close(): void;
}

/** The libuv calls an FFI binds from the running executable, with handles passed as buffers it keeps. */
export interface LibuvCalls {
  /** `uv_handle_size(type)`. */
  handleSize(type: number): number;
  /** `uv_poll_init(uv_default_loop(), handle, fd)` (the main thread's loop in Node.js): 0, or a libuv error (`-errno`). */
  pollInit(handle: Uint8Array, fd: number): number;
  /** `uv_poll_start(handle, events, cb)` with the FFI's one poll callback, which calls {@link LoopWatcher.polled}. */
  pollStart(handle: Uint8Array, events: number): number;
  /** `uv_poll_stop(handle)`. */
  pollStop(handle: Uint8Array): void;
  /** `uv_close(handle, cb)` with the FFI's one close callback, which calls {@link LoopWatcher.closed}. */
  close(handle: Uint8Array): void;
  /** The native address of a handle buffer, as the callbacks report it. */
  address(handle: Uint8Array): bigint;
}

/** `UV_POLL` in `enum uv_handle_type`. */
const UV_POLL = 8;
/** `UV_READABLE` in `enum uv_poll_event`. */
const UV_READABLE = 1;

interface Handle {
  readonly bytes: Uint8Array;
  readonly onReadable: () => void;
}

/**
 * Keeps the `uv_poll_t` handles of {@link LoopWatch}es alive and routes libuv's callbacks
 * (one native callback per FFI, given a handle's address) to them.
 */
export class LoopWatcher {
  private readonly calls: LibuvCalls;
  private readonly handles = new Map<bigint, Handle>();
  private handleSize = 0;
  /** Errors callbacks threw, rethrown from an immediate (see {@link polled}). */
  private thrown: unknown[] = [];
  private readonly rethrow = (): void => {
    const thrown = this.thrown;
    this.thrown = [];
    for (const error of thrown)
      queueMicrotask(() => {
        throw error;
      });
  };

  constructor(calls: LibuvCalls) {
    this.calls = calls;
  }

  /** Watches `fd` from the main thread's loop; `onReadable` runs there each time it is readable while started. */
  watch(fd: number, onReadable: () => void): LoopWatch | number {
    if (this.handleSize === 0) this.handleSize = this.calls.handleSize(UV_POLL);
    const bytes = nativeBuffer(this.handleSize);
    const initialised = this.calls.pollInit(bytes, fd);
    if (initialised < 0) return initialised;
    const address = this.calls.address(bytes);
    this.handles.set(address, { bytes, onReadable });
    let closed = false;
    return {
      start: () => (closed ? 0 : this.calls.pollStart(bytes, UV_READABLE)),
      stop: () => {
        if (!closed) this.calls.pollStop(bytes);
      },
      close: () => {
        if (closed) return;
        closed = true;
        // The handle's memory stays referenced (in `handles`) until libuv's close callback.
        this.calls.close(bytes);
      },
    };
  }

  /**
   * What the FFI's poll callback calls, on the event loop outside any JavaScript frame: runs
   * the watch's callback, keeping what it throws from the FFI (which would drop it) to throw
   * it again as an uncaught error, and schedules an immediate so that Node.js runs the
   * microtasks the callback queued (settled promises) before the loop sleeps again.
   */
  polled(address: bigint): void {
    const handle = this.handles.get(address);
    if (handle === undefined) return;
    try {
      handle.onReadable();
    } catch (error) {
      this.thrown.push(error);
    }
    setImmediate(this.rethrow);
  }

  /** What the FFI's close callback calls: libuv no longer uses the handle's memory. */
  closed(address: bigint): void {
    this.handles.delete(address);
  }
}

/** Where an FFI's two native libuv callbacks report, given the handle's address. */
export type LoopCallbacks = (
  polled: (address: bigint) => void,
  closed: (address: bigint) => void,
) => LibuvCalls | number;

/**
 * A backend's `watchOnLoop`: `bind` reaches libuv on the first watch (or says why it cannot,
 * as `-errno`, which every later watch gets too); every watch then shares its calls and its
 * two native callbacks, routed to one {@link LoopWatcher}.
 */
export function watchOnLoopThrough(bind: LoopCallbacks): (fd: number, onReadable: () => void) => LoopWatch | number {
  let watcher: LoopWatcher | number | undefined;
  return (fd, onReadable) => {
    if (watcher === undefined) {
      let made: LoopWatcher | undefined;
      const calls = bind(
        (address) => made?.polled(address),
        (address) => made?.closed(address),
      );
      if (typeof calls === 'number') {
        watcher = calls;
      } else {
        made = new LoopWatcher(calls);
        watcher = made;
      }
    }
    return typeof watcher === 'number' ? watcher : watcher.watch(fd, onReadable);
  };
}
