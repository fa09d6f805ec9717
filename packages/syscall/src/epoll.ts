import { isLittleEndianHost, nativeBuffer } from './attr.js';
import { getBackend } from './backend.js';
import { Errno } from './errno.js';
import { BpfSyscallError } from './errors.js';
import { Fd } from './fd.js';
import { epollEvent, structSizes } from './generated/structs.js';
import type { LoopWatch } from './loop-watch.js';

/** `EPOLL*` event bits used with {@link epollControl}. */
export const EpollEvent = {
  /** `EPOLLIN` */
  IN: 0x1,
  /** `EPOLLOUT` */
  OUT: 0x4,
  /** `EPOLLERR` */
  ERR: 0x8,
  /** `EPOLLHUP` */
  HUP: 0x10,
  /** Reports the fd once, then disarms it until the next {@link EpollOp.MODIFY}. */
  ONESHOT: 0x40000000,
} as const;

/** `EPOLL_CTL_*` operations. */
export const EpollOp = {
  /** `EPOLL_CTL_ADD`: watch an fd */
  ADD: 1,
  /** `EPOLL_CTL_DEL`: stop watching an fd */
  DELETE: 2,
  /** `EPOLL_CTL_MOD`: change the events watched */
  MODIFY: 3,
} as const;

/**
 * `struct epoll_event` is packed on x86-64 only: there its layout is the one generated from
 * the kernel's BTF (12 bytes, `data` at 4). Elsewhere `data` is 8-aligned (16 bytes); the
 * generated file, made on x86-64, does not describe those.
 */
const packed = process.arch === 'x64';
/** Size of one `struct epoll_event`. */
const EVENT_SIZE = packed ? structSizes.epollEvent : 16;
const DATA_OFFSET = packed ? epollEvent.data : 8;
/**
 * Where the low and high halves of the u64 `data` lie: a token is a u32, written and read
 * as the low half (no BigInt, which a re-arm on every wake-up would allocate).
 */
const TOKEN_OFFSET = DATA_OFFSET + (isLittleEndianHost ? 0 : 4);
const TOKEN_HIGH_OFFSET = DATA_OFFSET + (isLittleEndianHost ? 4 : 0);

/** epoll_create1(EPOLL_CLOEXEC). @throws {@link BpfSyscallError} (command `epoll_create1`). */
export function epollCreate(description = 'epoll'): Fd {
  const fd = getBackend().epollCreate();
  if (fd < 0) throw new BpfSyscallError('epoll_create1', -fd, { object: description });
  return new Fd(fd, description);
}

const controlEvent = nativeBuffer(EVENT_SIZE);
const controlView = new DataView(controlEvent.buffer);

/**
 * epoll_ctl: adds, modifies or deletes `fd` in `epfd`'s interest list with `events`
 * ({@link EpollEvent} bits) and a `token` (a u32) that {@link EpollReadyList.token} gives back.
 * @throws {@link BpfSyscallError} (command `epoll_ctl`).
 */
export function epollControl(epfd: number, op: number, fd: number, events: number, token: number): void {
  controlView.setUint32(epollEvent.events, events >>> 0, isLittleEndianHost);
  controlView.setUint32(TOKEN_OFFSET, token >>> 0, isLittleEndianHost);
  controlView.setUint32(TOKEN_HIGH_OFFSET, 0, isLittleEndianHost);
  const result = getBackend().epollCtl(epfd, op, fd, controlEvent);
  if (result < 0) throw new BpfSyscallError('epoll_ctl', -result, { object: `fd ${fd}` });
}

/** Room for the events one epoll_wait returns, read back by index. */
export class EpollReadyList {
  /** The `struct epoll_event` array the kernel writes. */
  readonly bytes: Uint8Array;
  private readonly view: DataView;

  constructor(
    /** How many events one wait may return. */
    readonly capacity: number,
  ) {
    this.bytes = nativeBuffer(capacity * EVENT_SIZE);
    this.view = new DataView(this.bytes.buffer);
  }

  /** The event bits of ready entry `index`. */
  events(index: number): number {
    return this.view.getUint32(index * EVENT_SIZE + epollEvent.events, isLittleEndianHost);
  }

  /** The token of ready entry `index` (as given to {@link epollControl}). */
  token(index: number): number {
    return this.view.getUint32(index * EVENT_SIZE + TOKEN_OFFSET, isLittleEndianHost);
  }
}

/**
 * Starts epoll_wait on `epfd` on an FFI pool thread (no timeout) and returns at once; `done`
 * gets the number of ready entries in `ready` on the event loop, or -1 when the wait failed
 * (EINTR included). `epfd` must stay open, and `ready` alive, until `done` runs: end a wait
 * by making one of its fds ready (an {@link openEventFd} written with {@link signalEventFd}).
 */
export function startEpollWait(epfd: number, ready: EpollReadyList, done: (count: number) => void): void {
  getBackend().epollWaitInBackground(epfd, ready.bytes, ready.capacity, -1, done);
}

/**
 * epoll_wait on `epfd` without blocking: the number of entries ready now, written into
 * `ready`, or `-errno`.
 */
export function epollWaitNow(epfd: number, ready: EpollReadyList): number {
  return getBackend().epollWaitNow(epfd, ready.bytes, ready.capacity);
}

/**
 * Watches `fd` (an epoll fd, say) from the main thread's event loop: while the watch is
 * started, the kernel wakes the loop itself when `fd` turns readable and `onReadable` runs
 * there, one thread wake-up where {@link startEpollWait} needs two (the pool thread's, then
 * the loop's). Undefined where the loop cannot be reached (a worker thread, an executable
 * that exports no libuv): wait with {@link startEpollWait} there.
 */
export function watchOnEventLoop(fd: number, onReadable: () => void): LoopWatch | undefined {
  const watch = getBackend().watchOnLoop(fd, onReadable);
  if (typeof watch !== 'number') return watch;
  if (watch === -Errno.EOPNOTSUPP || watch === -Errno.ENOSYS) return undefined;
  throw new BpfSyscallError('uv_poll_init', -watch, { object: `fd ${fd}` });
}

/** eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK). @throws {@link BpfSyscallError} (command `eventfd`). */
export function openEventFd(description = 'eventfd'): Fd {
  const fd = getBackend().eventFd();
  if (fd < 0) throw new BpfSyscallError('eventfd', -fd, { object: description });
  return new Fd(fd, description);
}

const one = nativeBuffer(8);
new DataView(one.buffer).setBigUint64(0, 1n, isLittleEndianHost);
const drained = nativeBuffer(8);

/** Adds one to an eventfd's counter, making it readable (EPOLLIN). */
export function signalEventFd(fd: number): void {
  const result = getBackend().write(fd, one);
  if (result < 0) throw new BpfSyscallError('write', -result, { object: 'eventfd' });
}

/** Reads an eventfd's counter back to zero (no longer readable); false when it was zero already. */
export function drainEventFd(fd: number): boolean {
  return getBackend().read(fd, drained) === 8;
}
