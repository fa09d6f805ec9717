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
  /** The native address of a handle buffer, as the callbacks report it (a number: addresses are below 2^53). */
  address(handle: Uint8Array): number;
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
  /** The FFI's libuv calls, or why it cannot reach libuv (`-errno`, what every watch returns then). */
  private readonly calls: LibuvCalls | number;
  private readonly handles = new Map<number, Handle>();
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

  /** Reaches libuv through `bind`, which is given the watcher's own callbacks to call (nothing in between). */
  constructor(bind: LoopCallbacks) {
    this.calls = bind(this.polled, this.closed);
  }

  /** Watches `fd` from the main thread's loop; `onReadable` runs there each time it is readable while started. */
  watch(fd: number, onReadable: () => void): LoopWatch | number {
    const calls = this.calls;
    if (typeof calls === 'number') return calls;
    if (this.handleSize === 0) this.handleSize = calls.handleSize(UV_POLL);
    const bytes = nativeBuffer(this.handleSize);
    const initialised = calls.pollInit(bytes, fd);
    if (initialised < 0) return initialised;
    const address = calls.address(bytes);
    this.handles.set(address, { bytes, onReadable });
    let closed = false;
    return {
      start: () => (closed ? 0 : calls.pollStart(bytes, UV_READABLE)),
      stop: () => {
        if (!closed) calls.pollStop(bytes);
      },
      close: () => {
        if (closed) return;
        closed = true;
        // The handle's memory stays referenced (in `handles`) until libuv's close callback.
        calls.close(bytes);
      },
    };
  }

  /**
   * What the FFI's poll callback calls, on the event loop outside any JavaScript frame: runs
   * the watch's callback, keeping what it throws from the FFI (which would drop it) to throw
   * it again as an uncaught error, and schedules an immediate so that Node.js runs the
   * microtasks the callback queued (settled promises) before the loop sleeps again.
   */
  readonly polled = (address: number): void => {
    const handle = this.handles.get(address);
    if (handle === undefined) return;
    try {
      handle.onReadable();
    } catch (error) {
      this.thrown.push(error);
    }
    setImmediate(this.rethrow);
  };

  /** What the FFI's close callback calls: libuv no longer uses the handle's memory. */
  readonly closed = (address: number): void => {
    this.handles.delete(address);
  };
}

/** Where an FFI's two native libuv callbacks report, given the handle's address. */
export type LoopCallbacks = (
  polled: (address: number) => void,
  closed: (address: number) => void,
) => LibuvCalls | number;

/**
 * A backend's `watchOnLoop`: `bind` reaches libuv on the first watch (or says why it cannot,
 * as `-errno`, which every later watch gets too); every watch then shares its calls and its
 * two native callbacks, routed to one {@link LoopWatcher}.
 */
export function watchOnLoopThrough(bind: LoopCallbacks): (fd: number, onReadable: () => void) => LoopWatch | number {
  let watcher: LoopWatcher | undefined;
  return (fd, onReadable) => {
    watcher ??= new LoopWatcher(bind);
    return watcher.watch(fd, onReadable);
  };
}
