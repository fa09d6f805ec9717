import { BpfCommand } from '@bpfkit/uapi';
import type { BpfAttr } from './attr.js';
import { getBackend } from './backend.js';
import { Errno } from './errno.js';
import { BpfSyscallError, type BpfSyscallErrorContext } from './errors.js';
import { type FailureSubject, failureFacts, subjectOf } from './failure-facts.js';

/**
 * Whether a failed bpf(2) call is sent again: EINTR for any command, EAGAIN only for
 * BPF_PROG_LOAD (the verifier's answer when a signal is pending), as libbpf retries. Other
 * commands' EAGAIN means something (a full queue, a busy map) and reaches the caller.
 */
function retried(command: number, errno: number): boolean {
  return errno === Errno.EINTR || (errno === Errno.EAGAIN && command === BpfCommand.PROG_LOAD);
}

/**
 * Runs one bpf(2) command, retrying on EINTR and (for BPF_PROG_LOAD) EAGAIN, and returns the
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
  const b = getBackend();
  for (let attempt = 0; ; attempt++) {
    const result = b.bpf(command, attr.bytes, attr.size);
    if (result >= 0) return result;
    const errno = -result;
    if (retried(command, errno) && attempt < 5) continue;
    const facts = failureFacts(errno, subjectOf(command, attr, context.path));
    throw new BpfSyscallError(command, errno, context, log?.() ?? [], facts);
  }
}

/** Like {@link bpfCall}, but returns `-errno` instead of throwing (for expected failures such as ENOENT). */
export function bpfTry(command: number, attr: BpfAttr): number {
  const b = getBackend();
  for (let attempt = 0; ; attempt++) {
    const result = b.bpf(command, attr.bytes, attr.size);
    if (result >= 0 || result !== -Errno.EINTR || attempt >= 5) return result;
  }
}

/**
 * Like {@link bpfTry}, but the call runs on a libuv pool thread and the promise settles with
 * its result (or `-errno`) on the event loop, which keeps running meanwhile. `attr`, and the
 * buffers it points at, stay alive until then. When the FFI cannot queue a background call
 * (its queue is full, or the backend has none) the call runs in place.
 */
export function bpfTryInBackground(command: number, attr: BpfAttr): Promise<number> {
  const b = getBackend();
  return new Promise((resolve) => {
    const send = (attempt: number) => {
      try {
        b.bpfInBackground(command, attr.bytes, attr.size, (result) => {
          if (result === -Errno.EINTR && attempt < 5) send(attempt + 1);
          else resolve(result);
        });
      } catch {
        resolve(bpfTry(command, attr));
      }
    };
    send(0);
  });
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
