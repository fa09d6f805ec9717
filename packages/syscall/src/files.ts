import { getBackend, type Mapping } from './backend.js';
import { Errno } from './errno.js';
import { BpfSyscallError } from './errors.js';

const { closeSync, fstatSync, openSync } = process.getBuiltinModule('node:fs');

/**
 * Maps a whole file read-only and private (`MAP_PRIVATE`, `PROT_READ`): its bytes without a
 * read. Meant for `/sys/kernel/btf/vmlinux`, which kernels 6.15+ let be mapped: the mapping
 * shows the kernel's own copy of its BTF, so nothing is copied and no memory is added,
 * where reading it takes over a thousand 4 KiB `read` calls. The bytes are read-only: a
 * write to them kills the process (SIGSEGV), so hand them only to code that reads.
 * @throws {@link BpfSyscallError} (command `mmap`) when the file cannot be mapped (older
 * kernels, empty files); callers fall back to reading it.
 */
export function mapFileReadOnly(path: string): Mapping {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const mapping = size === 0 ? -Errno.EINVAL : getBackend().mmap(fd, size, false, false);
    if (typeof mapping === 'number') throw new BpfSyscallError('mmap', -mapping, { path });
    return mapping;
  } finally {
    closeSync(fd);
  }
}
