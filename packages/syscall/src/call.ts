import { BpfCommand } from '@bpfkit/uapi';
import type { BpfAttr } from './attr.js';
import { getBackend } from './backend.js';
import { Errno } from './errno.js';
import { BpfSyscallError, type BpfSyscallErrorContext } from './errors.js';
import { type FailureSubject, failureFacts, subjectOf } from './failure-facts.js';

/**
 * How many times one BPF_PROG_LOAD is sent while the kernel answers EAGAIN, as libbpf does
 * (its PROG_LOAD_ATTEMPTS): the verifier gives up with EAGAIN when a signal is pending (a
 * profiler's timer, a child exiting), which says nothing about the program.
 */
export const PROG_LOAD_ATTEMPTS = 5;

/** How many times a bpf(2) call a signal interrupted (EINTR) is sent again. */
const EINTR_RETRIES = 5;

/**
 * Whether a bpf(2) call that failed with `errno` after `retries` earlier resends is sent
 * again: EINTR for any command, EAGAIN only for BPF_PROG_LOAD (up to
 * {@link PROG_LOAD_ATTEMPTS} sends in all). Other commands' EAGAIN means something (a full
 * queue, a busy map) and reaches the caller.
 */
function sentAgain(command: number, errno: number, retries: number): boolean {
  if (errno === Errno.EINTR) return retries < EINTR_RETRIES;
  return errno === Errno.EAGAIN && command === BpfCommand.PROG_LOAD && retries < PROG_LOAD_ATTEMPTS - 1;
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
    if (sentAgain(command, errno, attempt)) continue;
    const facts = failureFacts(errno, subjectOf(command, attr, context.path));
    throw new BpfSyscallError(command, errno, context, log?.() ?? [], facts);
  }
}

/**
 * Like {@link bpfCall} (the same resends on EINTR and, for BPF_PROG_LOAD, EAGAIN), but returns
 * `-errno` instead of throwing (for expected failures such as ENOENT).
 */
export function bpfTry(command: number, attr: BpfAttr): number {
  const b = getBackend();
  for (let attempt = 0; ; attempt++) {
    const result = b.bpf(command, attr.bytes, attr.size);
    if (result >= 0 || !sentAgain(command, -result, attempt)) return result;
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
          if (result < 0 && sentAgain(command, -result, attempt)) send(attempt + 1);
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
