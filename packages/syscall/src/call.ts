import type { BpfAttr } from './attr.js';
import { backend } from './backend.js';
import { Errno } from './errno.js';
import { BpfSyscallError, type BpfSyscallErrorContext } from './errors.js';

/**
 * Runs one bpf(2) command, retrying on EINTR and (for loads) EAGAIN, and returns the
 * non-negative result.
 * @throws {@link BpfSyscallError} with the command, errno and `context`.
 */
export function bpfCall(
  command: number,
  attr: BpfAttr,
  context: BpfSyscallErrorContext = {},
  log?: () => string[],
): number {
  const b = backend();
  for (let attempt = 0; ; attempt++) {
    const result = b.bpf(command, attr.bytes, attr.size);
    if (result >= 0) return result;
    const errno = -result;
    if ((errno === Errno.EINTR || errno === Errno.EAGAIN) && attempt < 5) continue;
    throw new BpfSyscallError(command, errno, context, log?.() ?? []);
  }
}

/** Like {@link bpfCall}, but returns `-errno` instead of throwing (for expected failures such as ENOENT). */
export function bpfTry(command: number, attr: BpfAttr): number {
  const b = backend();
  for (let attempt = 0; ; attempt++) {
    const result = b.bpf(command, attr.bytes, attr.size);
    if (result >= 0 || result !== -Errno.EINTR || attempt >= 5) return result;
  }
}
