import type { BpfAttr } from './attr.js';
import { backend } from './backend.js';
import { Errno } from './errno.js';
import { BpfSyscallError, type BpfSyscallErrorContext } from './errors.js';
import { type FailureSubject, failureFacts, subjectOf } from './failure-facts.js';

/**
 * Runs one bpf(2) command, retrying on EINTR and (for loads) EAGAIN, and returns the
 * non-negative result.
 * @throws {@link BpfSyscallError} with the command, errno and `context`, and a hint that
 * fits what the attr says the call was about (read from the kernel after the failure).
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
    const facts = failureFacts(errno, subjectOf(command, attr, context.path));
    throw new BpfSyscallError(command, errno, context, log?.() ?? [], facts);
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

/**
 * The error for a bpf(2) call made without {@link bpfCall} (hot paths call the backend
 * directly), with a hint fitted to `subject`.
 */
export function syscallError(
  command: number,
  errno: number,
  context: BpfSyscallErrorContext,
  subject: FailureSubject,
): BpfSyscallError {
  return new BpfSyscallError(command, errno, context, [], failureFacts(errno, subject));
}
