import { BpfCommand } from '@bpfkit/uapi';
import { Errno } from './errno.js';
import { BpfSyscallError } from './errors.js';
import { type LibuvCalls, type LoopCallbacks, type LoopWatch, watchOnLoopThrough } from './loop-watch.js';
import { onMainThread } from './main-thread.js';

const { createRequire } = process.getBuiltinModule('node:module');

/** A shared memory mapping of a map's values (mmapable array maps). */
export interface Mapping {
  /** The mapped bytes; valid until {@link unmap}. */
  readonly bytes: Uint8Array;
  /** Releases the mapping; later calls do nothing. */
  unmap(): void;
}

/** The native calls everything else is built on; one implementation per FFI. */
export interface BpfBackend {
  /** Which FFI this is. */
  readonly name: string;
  /** `syscall(__NR_bpf, command, attr, size)`: the result, or `-errno` on failure. */
  bpf(command: number, attr: Uint8Array, size: number): number;
  /** `close(fd)`: 0, or `-errno`. */
  close(fd: number): number;
  /** Native address of a buffer's first byte (the buffer must be backed by an off-heap ArrayBuffer). */
  address(buffer: Uint8Array): bigint;
  /** `ioctl(fd, request, arg)` with an integer argument: the result, or `-errno`. */
  ioctl(fd: number, request: number, arg: number): number;
  /** `read(fd, buffer)`: bytes read, or `-errno`. */
  read(fd: number, buffer: Uint8Array): number;
  /** `perf_event_open(attr, pid, cpu, group_fd, flags)`: the fd, or `-errno`. */
  perfEventOpen(attr: Uint8Array, pid: number, cpu: number, groupFd: number, flags: number): number;
  /** `setsockopt(fd, level, name, &value, 4)` with an int value: 0, or `-errno`. */
  setsockoptInt(fd: number, level: number, name: number, value: number): number;
  /** `socket(domain, type, protocol)`: the fd, or `-errno`. */
  socket(domain: number, type: number, protocol: number): number;
  /** `send(fd, buffer, length, 0)`: bytes sent, or `-errno`. */
  send(fd: number, buffer: Uint8Array): number;
  /** `recv(fd, buffer, length, flags)`: bytes received (the datagram's full length with `MSG_TRUNC`), or `-errno`. */
  receive(fd: number, buffer: Uint8Array, flags: number): number;
  /**
   * `mmap(NULL, length, PROT_READ[|PROT_WRITE], MAP_SHARED or MAP_PRIVATE, fd, offset)`, or
   * `-errno`. `shared` false is for files that refuse shared mappings (sysfs BTF). With an
   * `address`, the mapping goes exactly there or fails (`MAP_FIXED_NOREPLACE`: EEXIST when
   * something is mapped there already).
   */
  mmap(
    fd: number,
    length: number,
    writable: boolean,
    shared: boolean,
    offset?: number,
    address?: bigint,
  ): Mapping | number;
  /** `sysconf(_SC_PAGESIZE)`: the size of a memory page, the unit of every mapping. */
  pageSize(): number;
  /** `epoll_create1(EPOLL_CLOEXEC)`: the fd, or `-errno`. */
  epollCreate(): number;
  /** `epoll_ctl(epfd, op, fd, event)` with `event` a `struct epoll_event`: 0, or `-errno`. */
  epollCtl(epfd: number, op: number, fd: number, event: Uint8Array): number;
  /**
   * `epoll_wait(epfd, events, maxEvents, timeoutMs)` on a libuv pool thread, returning at once;
   * `done` gets the number of ready events on the event loop (-1 for any failure). `events`
   * is passed by address and must stay alive until `done`.
   */
  epollWaitInBackground(
    epfd: number,
    events: Uint8Array,
    maxEvents: number,
    timeoutMs: number,
    done: (result: number) => void,
  ): void;
  /** `epoll_wait(epfd, events, maxEvents, 0)` in place: the number of ready events, or `-errno`. */
  epollWaitNow(epfd: number, events: Uint8Array, maxEvents: number): number;
  /**
   * Watches `fd` for readability from the main thread's libuv loop (a `uv_poll_t` on
   * `uv_default_loop()`, libuv as the running executable exports it): `onReadable` runs on
   * the event loop, woken by the kernel directly. `-EOPNOTSUPP` on a worker thread (whose
   * loop is not the default one), `-ENOSYS` when the executable exports no libuv.
   */
  watchOnLoop(fd: number, onReadable: () => void): LoopWatch | number;
  /** `eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)`: the fd, or `-errno`. */
  eventFd(): number;
  /** `write(fd, buffer)`: bytes written, or `-errno`. */
  write(fd: number, buffer: Uint8Array): number;
  /**
   * `statx(AT_FDCWD, path, 0, STATX_BASIC_STATS, buffer)` (symbolic links followed) into a
   * `struct statx` (256 bytes; a shorter buffer gets `-EINVAL`): 0, or `-errno`. Optional: a backend whose
   * calls cost more than Node's own `stat` (ffi-napi) leaves it out, and callers use Node's.
   */
  statx?(path: string, buffer: Uint8Array): number;
  /**
   * `syscall(__NR_bpf, command, attr, size)` on a libuv pool thread, returning at once;
   * `done` gets the result, or `-errno`, on the event loop. `attr` is passed by address, so what the kernel writes into it is visible
   * while the call runs; it must stay alive (and unchanged) until `done`. A backend may
   * instead run the call in place and call `done` before returning (ffi-napi does).
   */
  bpfInBackground(command: number, attr: Uint8Array, size: number, done: (result: number) => void): void;
  /** `fcntl(fd, F_DUPFD_CLOEXEC, 0)`: a new descriptor for the same file, or `-errno`. */
  duplicate(fd: number): number;
  /** `dup3(from, onto, O_CLOEXEC)`: makes descriptor `onto` refer to `from`'s file; 0 or `-errno`. */
  duplicateOnto(from: number, onto: number): number;
}

/** FFIs bpfkit can use: koffi (default) or ffi-napi (`@2060.io/ffi-napi`). */
export type BackendName = 'koffi' | 'ffi-napi';

/** `__NR_bpf` and `__NR_perf_event_open` per architecture. */
const syscallNumbers: Record<string, { bpf: number; perfEventOpen: number }> = {
  x64: { bpf: 321, perfEventOpen: 298 },
  arm64: { bpf: 280, perfEventOpen: 241 },
  riscv64: { bpf: 280, perfEventOpen: 241 },
  ia32: { bpf: 357, perfEventOpen: 336 },
  arm: { bpf: 386, perfEventOpen: 364 },
  ppc64: { bpf: 361, perfEventOpen: 319 },
  s390x: { bpf: 351, perfEventOpen: 331 },
};

const PROT_READ = 1;
const PROT_WRITE = 2;
const MAP_SHARED = 1;
const MAP_PRIVATE = 2;
const MAP_FIXED_NOREPLACE = 0x100000;
const F_DUPFD_CLOEXEC = 1030;
const O_CLOEXEC = 0o2000000;
const EFD_NONBLOCK = 0o4000;
const _SC_PAGESIZE = 30;
const AT_FDCWD = -100;
const STATX_BASIC_STATS = 0x7ff;

/** `sizeof(struct statx)`, what `BpfBackend.statx` writes. */
export const STATX_SIZE = 256;

let active: BpfBackend | undefined;

/**
 * Chooses the FFI every later call goes through: by name (`'koffi'` or `'ffi-napi'`, loaded
 * now) or as a backend object (tests wrap the real one to record or fail calls). Returns the
 * backend it replaces (undefined when none was in use yet), so a caller can put it back.
 * @throws {@link BpfSyscallError} when the named FFI is not installed or cannot load here.
 * @example
 * ```ts
 * import { setBackend } from '@bpfkit/syscall';
 * setBackend('ffi-napi'); // after `npm install @2060.io/ffi-napi @2060.io/ref-napi`
 * ```
 */
export function setBackend(choice: BackendName | BpfBackend): BpfBackend | undefined {
  const previous = active;
  active = typeof choice === 'string' ? loadBackend(choice) : choice;
  return previous;
}

/**
 * The backend in use, loading the FFI on first use: the one chosen with {@link setBackend},
 * else `BPFKIT_FFI` (`koffi` or `ffi-napi`), else (unset or empty) koffi.
 */
export function getBackend(): BpfBackend {
  // Set but empty means unset, as shells make it easy to write (`BPFKIT_FFI= node …`).
  active ??= loadBackend(((process.env.BPFKIT_FFI || undefined) as BackendName | undefined) ?? 'koffi');
  return active;
}

function numbers() {
  const n = syscallNumbers[process.arch];
  if (n === undefined) throw new Error(`bpfkit: no bpf(2) syscall number known for ${process.arch}`);
  return n;
}

function loadBackend(name: BackendName): BpfBackend {
  if (name === 'koffi') return loadKoffi();
  if (name === 'ffi-napi' && !onMainThread()) {
    // Terminating a worker that loaded ffi-napi crashes the whole process (an ffi-napi bug).
    throw new BpfSyscallError('load ffi-napi', Errno.EOPNOTSUPP, { object: 'worker thread' }, [], {
      ffiNapiInWorker: true,
    });
  }
  if (name === 'ffi-napi') return loadFfiNapi();
  throw new BpfSyscallError(
    'load FFI',
    Errno.EINVAL,
    { field: 'BPFKIT_FFI', expected: "'koffi' or 'ffi-napi'", actual: `'${String(name)}'` },
    [],
    {},
    "set BPFKIT_FFI to 'koffi' (the default) or 'ffi-napi', or leave it unset",
  );
}

/** The packages of the ffi-napi backend: optional peer dependencies, installed by whoever picks it. */
const FFI_NAPI_PACKAGES = ['@2060.io/ffi-napi', '@2060.io/ref-napi'] as const;

/**
 * `require`s one of {@link FFI_NAPI_PACKAGES}.
 * @throws {@link BpfSyscallError} (ENOENT) naming the package to install when it is missing.
 */
function requireFfiNapiPackage(require: NodeJS.Require, name: (typeof FFI_NAPI_PACKAGES)[number]): unknown {
  try {
    return require(name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw error;
    throw new BpfSyscallError(
      'load ffi-napi',
      Errno.ENOENT,
      { object: name },
      [],
      {},
      `the ffi-napi backend needs ${FFI_NAPI_PACKAGES.join(' and ')}, optional peer dependencies of @bpfkit/syscall: install them (npm install ${FFI_NAPI_PACKAGES.join(' ')}), or use koffi, the default (unset BPFKIT_FFI)`,
    );
  }
}

function loadKoffi(): BpfBackend {
  const require = createRequire(import.meta.url);
  const koffi = require('koffi') as {
    load(name: string | null): { func(signature: string): (...args: unknown[]) => unknown };
    register(callback: (...args: never[]) => void, type: unknown): unknown;
    pointer(type: unknown): unknown;
    proto(signature: string): unknown;
    errno(): number;
    address(value: unknown): bigint;
    view(pointer: unknown, length: number): ArrayBuffer;
  };
  const n = numbers();
  const libc = koffi.load('libc.so.6');
  // glibc's syscall() and ioctl() are variadic; on the supported ABIs integer and pointer
  // arguments pass the same way as with these fixed prototypes.
  const bpf = libc.func('long syscall(long number, int cmd, void *attr, unsigned int size)') as (
    ...a: unknown[]
  ) => number;
  const perf = libc.func(
    'long syscall(long number, void *attr, int pid, int cpu, int group_fd, unsigned long flags)',
  ) as (...a: unknown[]) => number;
  const close = libc.func('int close(int fd)') as (fd: number) => number;
  const ioctl = libc.func('int ioctl(int fd, unsigned long request, unsigned long arg)') as (...a: unknown[]) => number;
  const read = libc.func('long read(int fd, void *buf, unsigned long count)') as (...a: unknown[]) => number;
  const mmap = libc.func('void *mmap(void *addr, unsigned long length, int prot, int flags, int fd, long offset)') as (
    ...a: unknown[]
  ) => unknown;
  // The same call with the address as an integer, for mappings placed at a given address.
  const mmapAt = libc.func(
    'void *mmap(uint64_t addr, unsigned long length, int prot, int flags, int fd, long offset)',
  ) as (...a: unknown[]) => unknown;
  const munmap = libc.func('int munmap(void *addr, unsigned long length)') as (...a: unknown[]) => number;
  const setsockopt = libc.func('int setsockopt(int fd, int level, int name, void *value, unsigned int length)') as (
    ...a: unknown[]
  ) => number;
  const socket = libc.func('int socket(int domain, int type, int protocol)') as (...a: unknown[]) => number;
  const send = libc.func('long send(int fd, void *buf, unsigned long length, int flags)') as (
    ...a: unknown[]
  ) => number;
  const recv = libc.func('long recv(int fd, void *buf, unsigned long length, int flags)') as (
    ...a: unknown[]
  ) => number;
  // The same call taking the attr's address as an integer: an async call would otherwise
  // pass a copy of a typed array, and the caller watches the kernel write into the original.
  const bpfByAddress = libc.func('long syscall(long number, int cmd, uint64_t attr, unsigned int size)') as unknown as {
    async(...a: unknown[]): void;
  };
  const fcntl = libc.func('int fcntl(int fd, int cmd, int arg)') as (...a: unknown[]) => number;
  const dup3 = libc.func('int dup3(int from, int onto, int flags)') as (...a: unknown[]) => number;
  const sysconf = libc.func('long sysconf(int name)') as (name: number) => number;
  const epollCreate1 = libc.func('int epoll_create1(int flags)') as (flags: number) => number;
  const epollCtl = libc.func('int epoll_ctl(int epfd, int op, int fd, void *event)') as (...a: unknown[]) => number;
  // By address, as bpfByAddress: the kernel writes the events into our own buffer.
  const epollWait = libc.func('int epoll_wait(int epfd, uint64_t events, int max, int timeout)') as unknown as {
    async(...a: unknown[]): void;
  };
  const epollWaitNow = libc.func('int epoll_wait(int epfd, void *events, int max, int timeout)') as (
    ...a: unknown[]
  ) => number;
  const eventfd = libc.func('int eventfd(unsigned int initial, int flags)') as (...a: unknown[]) => number;
  const write = libc.func('long write(int fd, void *buf, unsigned long count)') as (...a: unknown[]) => number;
  const statx = libc.func('int statx(int dirfd, const char *path, int flags, unsigned int mask, void *buf)') as (
    ...a: unknown[]
  ) => number;
  const result = (value: number) => (value < 0 ? -koffi.errno() : value);
  /** libuv from the executable, with one poll and one close callback for every handle. */
  const koffiLibuv: LoopCallbacks = (polled, closed) => {
    if (!onMainThread()) return -Errno.EOPNOTSUPP;
    const self = koffi.load(null);
    let loop: unknown;
    try {
      loop = self.func('void *uv_default_loop()')();
    } catch {
      return -Errno.ENOSYS;
    }
    const handleSize = self.func('size_t uv_handle_size(int type)');
    const pollInit = self.func('int uv_poll_init(void *loop, uint64_t handle, int fd)');
    const pollStart = self.func('int uv_poll_start(uint64_t handle, int events, void *cb)');
    const pollStop = self.func('int uv_poll_stop(uint64_t handle)');
    const close = self.func('void uv_close(uint64_t handle, void *cb)');
    // The handle as an integer: koffi passes it as a number (an address is below 2^53), so
    // the callbacks are called straight from the trampoline, with no pointer object to convert.
    const onPoll = koffi.register(
      polled,
      koffi.pointer(koffi.proto('void (uintptr_t handle, int status, int events)')),
    );
    const onClose = koffi.register(closed, koffi.pointer(koffi.proto('void (uintptr_t handle)')));
    const calls: LibuvCalls = {
      handleSize: (type) => Number(handleSize(type)),
      pollInit: (handle, fd) => pollInit(loop, koffi.address(handle), fd) as number,
      pollStart: (handle, events) => pollStart(koffi.address(handle), events, onPoll) as number,
      pollStop: (handle) => pollStop(koffi.address(handle)),
      close: (handle) => close(koffi.address(handle), onClose),
      address: (handle) => Number(koffi.address(handle)),
    };
    return calls;
  };
  return {
    name: 'koffi',
    bpfInBackground(command, attr, size, done) {
      // koffi sets errno to the pool thread's around the callback, so koffi.errno() reads the call's own.
      bpfByAddress.async(n.bpf, command, koffi.address(attr), size, (error: unknown, value: number) =>
        done(error ? -Errno.EFAULT : result(value)),
      );
    },
    duplicate: (fd) => result(fcntl(fd, F_DUPFD_CLOEXEC, 0)),
    duplicateOnto: (from, onto) => result(dup3(from, onto, O_CLOEXEC)),
    pageSize: () => sysconf(_SC_PAGESIZE),
    epollCreate: () => result(epollCreate1(O_CLOEXEC)),
    epollCtl: (epfd, op, fd, event) => result(epollCtl(epfd, op, fd, event)),
    epollWaitInBackground(epfd, events, maxEvents, timeoutMs, done) {
      epollWait.async(epfd, koffi.address(events), maxEvents, timeoutMs, (error: unknown, value: number) =>
        done(error ? -1 : value),
      );
    },
    epollWaitNow: (epfd, events, maxEvents) => result(epollWaitNow(epfd, events, maxEvents, 0)),
    watchOnLoop: watchOnLoopThrough(koffiLibuv),
    eventFd: () => result(eventfd(0, O_CLOEXEC | EFD_NONBLOCK)),
    write: (fd, buffer) => result(write(fd, buffer, buffer.length)),
    // The kernel writes a whole struct statx: a shorter buffer is refused, not overrun.
    statx: (path, buffer) =>
      buffer.length < STATX_SIZE ? -Errno.EINVAL : result(statx(AT_FDCWD, path, 0, STATX_BASIC_STATS, buffer)),
    bpf: (command, attr, size) => result(bpf(n.bpf, command, attr, size)),
    close: (fd) => result(close(fd)),
    address: (buffer) => koffi.address(buffer),
    ioctl: (fd, request, arg) => result(ioctl(fd, request, arg)),
    read: (fd, buffer) => result(read(fd, buffer, buffer.length)),
    perfEventOpen: (attr, pid, cpu, groupFd, flags) => result(perf(n.perfEventOpen, attr, pid, cpu, groupFd, flags)),
    setsockoptInt: (fd, level, name, value) => result(setsockopt(fd, level, name, Int32Array.of(value), 4)),
    socket: (domain, type, protocol) => result(socket(domain, type, protocol)),
    send: (fd, buffer) => result(send(fd, buffer, buffer.length, 0)),
    receive: (fd, buffer, flags) => result(recv(fd, buffer, buffer.length, flags)),
    mmap(fd, length, writable, shared, offset = 0, address = undefined) {
      const prot = PROT_READ | (writable ? PROT_WRITE : 0);
      const flags = shared ? MAP_SHARED : MAP_PRIVATE;
      const pointer =
        address === undefined
          ? mmap(null, length, prot, flags, fd, offset)
          : mmapAt(address, length, prot, flags | MAP_FIXED_NOREPLACE, fd, offset);
      if (koffi.address(pointer) === 0xffffffffffffffffn) return -koffi.errno();
      let mapped = true;
      return {
        bytes: new Uint8Array(koffi.view(pointer, length)),
        unmap() {
          if (mapped) munmap(pointer, length);
          mapped = false;
        },
      };
    },
  };
}

/** Batch commands that can fail after changing some entries, so are never sent again. */
const partialBatches: ReadonlySet<number> = new Set([
  BpfCommand.MAP_LOOKUP_AND_DELETE_BATCH,
  BpfCommand.MAP_UPDATE_BATCH,
  BpfCommand.MAP_DELETE_BATCH,
]);

function loadFfiNapi(): BpfBackend {
  const require = createRequire(import.meta.url);
  type Fn = (...args: unknown[]) => unknown;
  const ffi = requireFfiNapiPackage(require, '@2060.io/ffi-napi') as {
    Library(name: null, functions: Record<string, [string, string[]]>): Record<string, Fn>;
    Callback(returns: string, parameters: string[], callback: (...args: never[]) => void): Buffer;
    errno(): number;
  };
  const ref = requireFfiNapiPackage(require, '@2060.io/ref-napi') as {
    address(buffer: Buffer): number;
    reinterpret(buffer: Buffer, size: number, offset: number): Buffer;
  };
  const n = numbers();
  const libc = ffi.Library(null, {
    syscall: ['long', ['long', 'int', 'pointer', 'uint']],
    close: ['int', ['int']],
    ioctl: ['int', ['int', 'ulong', 'ulong']],
    read: ['long', ['int', 'pointer', 'ulong']],
    mmap: ['pointer', ['pointer', 'ulong', 'int', 'int', 'int', 'long']],
    munmap: ['int', ['pointer', 'ulong']],
    setsockopt: ['int', ['int', 'int', 'int', 'pointer', 'uint']],
    socket: ['int', ['int', 'int', 'int']],
    send: ['long', ['int', 'pointer', 'ulong', 'int']],
    recv: ['long', ['int', 'pointer', 'ulong', 'int']],
    fcntl: ['int', ['int', 'int', 'int']],
    dup3: ['int', ['int', 'int', 'int']],
    sysconf: ['long', ['int']],
    epoll_create1: ['int', ['int']],
    epoll_ctl: ['int', ['int', 'int', 'int', 'pointer']],
    epoll_wait: ['int', ['int', 'pointer', 'int', 'int']],
    eventfd: ['int', ['uint', 'int']],
    write: ['long', ['int', 'pointer', 'ulong']],
  });
  const perfLib = ffi.Library(null, { syscall: ['long', ['long', 'pointer', 'int', 'int', 'int', 'ulong']] });
  const mmapAt = ffi.Library(null, { mmap: ['pointer', ['uint64', 'ulong', 'int', 'int', 'int', 'long']] });
  const buffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const result = (value: unknown) => (Number(value) < 0 ? -ffi.errno() : Number(value));
  /**
   * bpf(2). ffi-napi reads errno through a second foreign call, after allocations of its own
   * that can leave ENOMEM there (a GET_FD_BY_ID of a freed object read ENOMEM, not ENOENT, now
   * and then, with no memory limit near): a command failing so is sent once more, for an errno
   * read afresh. A failed command changed nothing, except a batch's first entries.
   */
  const bpf = (command: number, attr: Uint8Array, size: number): number => {
    const sent = () => result((libc.syscall as Fn)(n.bpf, command, buffer(attr), size));
    const first = sent();
    return first === -Errno.ENOMEM && !partialBatches.has(command) ? sent() : first;
  };
  /** libuv from the executable, with one poll and one close callback for every handle. */
  const ffiNapiLibuv: LoopCallbacks = (polled, closed) => {
    // loadBackend refuses ffi-napi on worker threads; the main thread's loop is the default one.
    let uv: Record<string, Fn>;
    let loop: unknown;
    try {
      uv = ffi.Library(null, {
        uv_default_loop: ['pointer', []],
        uv_handle_size: ['size_t', ['int']],
        uv_poll_init: ['int', ['pointer', 'pointer', 'int']],
        uv_poll_start: ['int', ['pointer', 'int', 'pointer']],
        uv_poll_stop: ['int', ['pointer']],
        uv_close: ['void', ['pointer', 'pointer']],
      });
      loop = (uv.uv_default_loop as Fn)();
    } catch {
      return -Errno.ENOSYS;
    }
    const onPoll = ffi.Callback('void', ['pointer', 'int', 'int'], (handle: Buffer) => polled(ref.address(handle)));
    const onClose = ffi.Callback('void', ['pointer'], (handle: Buffer) => closed(ref.address(handle)));
    const calls: LibuvCalls = {
      handleSize: (type) => Number((uv.uv_handle_size as Fn)(type)),
      pollInit: (handle, fd) => Number((uv.uv_poll_init as Fn)(loop, buffer(handle), fd)),
      pollStart: (handle, events) => Number((uv.uv_poll_start as Fn)(buffer(handle), events, onPoll)),
      pollStop: (handle) => (uv.uv_poll_stop as Fn)(buffer(handle)),
      close: (handle) => (uv.uv_close as Fn)(buffer(handle), onClose),
      address: (handle) => ref.address(buffer(handle)),
    };
    return calls;
  };
  return {
    name: 'ffi-napi',
    // ffi-napi's async calls abort the whole process when the worker thread that made one is
    // terminated before it returns, so here the call runs in place (and waits as the kernel does).
    bpfInBackground(command, attr, size, done) {
      done(bpf(command, attr, size));
    },
    pageSize: () => Number((libc.sysconf as Fn)(_SC_PAGESIZE)),
    epollCreate: () => result((libc.epoll_create1 as Fn)(O_CLOEXEC)),
    epollCtl: (epfd, op, fd, event) => result((libc.epoll_ctl as Fn)(epfd, op, fd, buffer(event))),
    // An async call, unlike bpfInBackground: a wait cannot run in place. It is made on the
    // calling thread's pool, so (see above) a worker making one must not be terminated
    // while it is pending; closing the waiter first ends it.
    epollWaitInBackground(epfd, events, maxEvents, timeoutMs, done) {
      (libc.epoll_wait as Fn & { async: Fn }).async(
        epfd,
        buffer(events),
        maxEvents,
        timeoutMs,
        (error: unknown, value: unknown) => done(error ? -1 : Number(value)),
      );
    },
    epollWaitNow: (epfd, events, maxEvents) => result((libc.epoll_wait as Fn)(epfd, buffer(events), maxEvents, 0)),
    watchOnLoop: watchOnLoopThrough(ffiNapiLibuv),
    eventFd: () => result((libc.eventfd as Fn)(0, O_CLOEXEC | EFD_NONBLOCK)),
    write: (fd, bytes) => result((libc.write as Fn)(fd, buffer(bytes), bytes.length)),
    duplicate: (fd) => result((libc.fcntl as Fn)(fd, F_DUPFD_CLOEXEC, 0)),
    duplicateOnto: (from, onto) => result((libc.dup3 as Fn)(from, onto, O_CLOEXEC)),
    bpf,
    close: (fd) => result((libc.close as Fn)(fd)),
    address: (bytes) => BigInt(ref.address(buffer(bytes))),
    ioctl: (fd, request, arg) => result((libc.ioctl as Fn)(fd, request, arg)),
    read: (fd, bytes) => result((libc.read as Fn)(fd, buffer(bytes), bytes.length)),
    perfEventOpen: (attr, pid, cpu, groupFd, flags) =>
      result((perfLib.syscall as Fn)(n.perfEventOpen, buffer(attr), pid, cpu, groupFd, flags)),
    setsockoptInt: (fd, level, name, value) =>
      result((libc.setsockopt as Fn)(fd, level, name, Buffer.from(Int32Array.of(value).buffer), 4)),
    socket: (domain, type, protocol) => result((libc.socket as Fn)(domain, type, protocol)),
    send: (fd, bytes) => result((libc.send as Fn)(fd, buffer(bytes), bytes.length, 0)),
    receive: (fd, bytes, flags) => result((libc.recv as Fn)(fd, buffer(bytes), bytes.length, flags)),
    mmap(fd, length, writable, shared, offset = 0, address = undefined) {
      const prot = PROT_READ | (writable ? PROT_WRITE : 0);
      const flags = shared ? MAP_SHARED : MAP_PRIVATE;
      const pointer = (
        address === undefined
          ? (libc.mmap as Fn)(null, length, prot, flags, fd, offset)
          : (mmapAt.mmap as Fn)(address.toString(), length, prot, flags | MAP_FIXED_NOREPLACE, fd, offset)
      ) as Buffer;
      // MAP_FAILED ((void *)-1) reaches JavaScript as a double, rounded up to 2^64.
      if (ref.address(pointer) === -1 || ref.address(pointer) >= 2 ** 64 - 4096) {
        return -ffi.errno();
      }
      const view = ref.reinterpret(pointer, length, 0);
      let mapped = true;
      return {
        bytes: new Uint8Array(view.buffer, view.byteOffset, length),
        unmap() {
          if (mapped) (libc.munmap as Fn)(pointer, length);
          mapped = false;
        },
      };
    },
  };
}
