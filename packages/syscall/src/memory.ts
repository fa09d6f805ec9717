import { getBackend, type Mapping } from './backend.js';
import { BpfSyscallError, type BpfSyscallErrorContext } from './errors.js';

/** The size of a memory page (sysconf), read once per backend. */
export function pageSize(): number {
  const b = getBackend();
  let size = pageSizes.get(b);
  if (size === undefined) {
    size = b.pageSize();
    pageSizes.set(b, size);
  }
  return size;
}

const pageSizes = new WeakMap<object, number>();

/** Options for {@link mapFdMemory}. */
export interface FdMemoryOptions {
  /** Byte offset into the fd's memory, a multiple of the page size; 0 by default. */
  readonly offset?: number;
  /** Map read-write (`PROT_READ | PROT_WRITE`); read-only by default. */
  readonly writable?: boolean;
  /** Place the mapping at exactly this address, or fail (EEXIST when something is mapped there). */
  readonly address?: bigint;
}

/**
 * A shared mapping of `length` bytes (rounded up to pages) of an fd's memory: ring buffer
 * maps and perf event buffers, whose pages have different protections the kernel enforces,
 * and arenas, which may ask for a fixed address.
 * @throws {@link BpfSyscallError} (command `mmap`) naming what was mapped.
 */
export function mapFdMemory(
  fd: number,
  length: number,
  options: FdMemoryOptions = {},
  context: BpfSyscallErrorContext = {},
): Mapping {
  const page = pageSize();
  const mapping = getBackend().mmap(
    fd,
    Math.ceil(length / page) * page,
    options.writable ?? false,
    true,
    options.offset ?? 0,
    options.address,
  );
  if (typeof mapping === 'number') throw new BpfSyscallError('mmap', -mapping, context);
  return mapping;
}
