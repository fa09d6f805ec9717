import { createRequire } from 'node:module';

/** The few native calls everything else is built on; one implementation per FFI. */
export interface BpfBackend {
  /** `syscall(__NR_bpf, command, attr, size)`: the result, or `-errno` on failure. */
  bpf(command: number, attr: Uint8Array, size: number): number;
  /** `close(fd)`: 0, or `-errno`. */
  close(fd: number): number;
  /** Native address of a buffer's first byte (the buffer must be backed by an off-heap ArrayBuffer). */
  address(buffer: Uint8Array): bigint;
  /** Which FFI this is. */
  readonly name: string;
}

/** `__NR_bpf` per architecture. */
const bpfSyscallNumber: Record<string, number> = {
  x64: 321,
  arm64: 280,
  ia32: 357,
  arm: 386,
  riscv64: 280,
  ppc64: 361,
  s390x: 351,
};

let active: BpfBackend | undefined;

/** Uses `backend` for every later call (tests inject faults this way). Returns the previous one. */
export function setBackend(backend: BpfBackend | undefined): BpfBackend | undefined {
  const previous = active;
  active = backend;
  return previous;
}

/** The backend in use, loading the FFI on first use: koffi, or `BPFKIT_FFI=ffi-napi` once supported. */
export function backend(): BpfBackend {
  active ??= loadKoffi();
  return active;
}

function loadKoffi(): BpfBackend {
  const require = createRequire(import.meta.url);
  const koffi = require('koffi') as {
    load(name: string): { func(signature: string): (...args: unknown[]) => number };
    errno(): number;
    address(value: unknown): bigint;
  };
  const number = bpfSyscallNumber[process.arch];
  if (number === undefined) throw new Error(`bpfkit: no bpf(2) syscall number known for ${process.arch}`);
  const libc = koffi.load('libc.so.6');
  // glibc's syscall() is variadic; on the supported ABIs integer arguments pass the same way.
  const syscall = libc.func('long syscall(long number, int cmd, void *attr, unsigned int size)');
  const close = libc.func('int close(int fd)');
  return {
    name: 'koffi',
    bpf(command, attr, size) {
      const result = syscall(number, command, attr, size);
      return result < 0 ? -koffi.errno() : result;
    },
    close(fd) {
      return close(fd) < 0 ? -koffi.errno() : 0;
    },
    address(buffer) {
      return koffi.address(buffer);
    },
  };
}
