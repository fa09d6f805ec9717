/** Linux errno numbers bpf(2) returns, by name. */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EIO: 5,
  E2BIG: 7,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  EXDEV: 18,
  ENODEV: 19,
  ENOTDIR: 20,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  ENOSPC: 28,
  ERANGE: 34,
  ENOSYS: 38,
  ELOOP: 40,
  EOPNOTSUPP: 95,
  ENOTSUPP: 524,
} as const;

/** The `E…` name of an errno value, or `errno N` for one this package does not name. */
export function errnoName(errno: number): string {
  for (const [name, value] of Object.entries(Errno)) if (value === errno) return name;
  return `errno ${errno}`;
}

/** What a person can do about an errno from bpf(2), in general terms; the caller adds specifics. */
export function errnoHint(errno: number): string | undefined {
  switch (errno) {
    case Errno.EPERM:
      return 'needs CAP_BPF or CAP_SYS_ADMIN (root has them unless they were dropped), and CAP_PERFMON/CAP_NET_ADMIN for some program types; check the RLIMIT_MEMLOCK limit on kernels before 5.11';
    case Errno.E2BIG:
      return 'a field the kernel does not know is set, or a size is above its limit: the kernel may be older than the feature';
    case Errno.ENOSYS:
      return 'this kernel was built without bpf(2) (CONFIG_BPF_SYSCALL)';
    case Errno.ENOTSUPP:
    case Errno.EOPNOTSUPP:
      return 'the kernel does not support this map type, program type or operation';
    case Errno.EACCES:
      return 'the verifier or an LSM refused it; see the verifier log';
    case Errno.ENOSPC:
      return 'the log buffer was too small, or the map is full';
    case Errno.EBADF:
      return 'a file descriptor passed in is closed or of the wrong kind';
    case Errno.ENOENT:
      return 'no such element, object or path';
    case Errno.EEXIST:
      return 'the element or pin already exists';
    default:
      return undefined;
  }
}
