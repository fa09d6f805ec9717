import { getBackend, type Mapping } from './backend.js';
import { Errno } from './errno.js';
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
  if (typeof mapping === 'number') {
    const errno = -mapping;
    const hint =
      errno === Errno.EEXIST && options.address !== undefined ? fixedAddressTakenHint(options.address) : undefined;
    throw new BpfSyscallError('mmap', errno, context, [], {}, hint);
  }
  return mapping;
}

/**
 * Why a mapping asked for at a fixed address failed with EEXIST, and what to do: the
 * process already maps something there. For an arena whose `map_extra` names its user
 * address, that is most often the same arena loaded a second time while the first load
 * still holds the address (libbpf's MAP_FIXED would silently replace the first mapping).
 */
function fixedAddressTakenHint(address: bigint): string {
  return `this process already maps something at 0x${address.toString(16)}, the address the arena's map_extra asks for: most often the same object loaded twice, and an arena at a fixed address maps once per process. Close the other object first, or set the map's mapExtra to 0 to let the kernel pick the address`;
}
