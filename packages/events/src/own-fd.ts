import { BpfSyscallError, duplicateFd, type Fd } from '@bpfkit/syscall';
import { EventsError } from './errors.js';

/**
 * A duplicate of `fd` (`F_DUPFD_CLOEXEC`) that a reader or writer owns: the map stays alive
 * and watched until the channel closes, whoever closes the original first.
 * @throws {@link EventsError} `kernel` when the fd cannot be duplicated (EBADF: it was closed).
 */
export function ownDuplicate(fd: number, map: string | undefined, what = 'map'): Fd {
  try {
    return duplicateFd(fd, map === undefined ? `event channel ${what}` : `event channel ${what} '${map}'`);
  } catch (cause) {
    if (!BpfSyscallError.is(cause)) throw cause;
    throw new EventsError('kernel', `duplicate the ${what} fd ${fd}`, map === undefined ? {} : { map }, undefined, {
      cause,
    });
  }
}
