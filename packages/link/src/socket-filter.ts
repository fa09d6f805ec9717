import { BpfSyscallError, detachSocketFilter, attachSocketFilter as setFilter } from '@bpfkit/syscall';
import { kernelStep } from './errors.js';
import { Link } from './link.js';

/**
 * Attaches a `socket` program to socket `socketFd` (SO_ATTACH_BPF). There is no link fd:
 * closing the returned {@link Link} detaches the filter (SO_DETACH_BPF), unless the socket
 * is already closed.
 */
export function attachSocketFilter(programFd: number, socketFd: number): Link {
  kernelStep('attach the socket filter', { kind: 'socket', target: `fd ${socketFd}` }, () =>
    setFilter(socketFd, programFd),
  );
  return new Link('socket', undefined, [], () => {
    try {
      detachSocketFilter(socketFd);
    } catch (error) {
      // A socket that is already closed has no filter left to detach.
      if (!BpfSyscallError.is(error) || error.errnoName !== 'EBADF') throw error;
    }
  });
}
