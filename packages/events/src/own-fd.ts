import { BpfSyscallError, Fd, getBackend } from '@bpfkit/syscall';
import { EventsError } from './errors.js';

/**
 * A duplicate of `fd` (`F_DUPFD_CLOEXEC`) that a reader or writer owns: the map stays alive
 * and watched until the channel closes, whoever closes the original first.
 * @throws {@link EventsError} `kernel` when the fd cannot be duplicated (EBADF: it was closed).
 */
export function ownDuplicate(fd: number, map: string | undefined, what = 'map'): Fd {
  const copy = getBackend().duplicate(fd);
  if (copy < 0) {
    const cause = new BpfSyscallError('fcntl(F_DUPFD_CLOEXEC)', -copy, map === undefined ? {} : { map });
    throw new EventsError('kernel', `duplicate the ${what} fd ${fd}`, map === undefined ? {} : { map }, undefined, {
      cause,
    });
  }
  return new Fd(copy, map === undefined ? `event channel ${what}` : `event channel ${what} '${map}'`);
}
