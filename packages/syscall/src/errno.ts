import { AttachType, MapType, ProgramType, programTypeName } from '@bpfkit/uapi';
/** Linux errno numbers bpf(2) returns, by name. */
export const Errno = {
  /** `EPERM`: operation not permitted */
  EPERM: 1,
  /** `ENOENT`: no such file or directory */
  ENOENT: 2,
  /** `ESRCH`: no such process */
  ESRCH: 3,
  /** `EINTR`: interrupted system call */
  EINTR: 4,
  /** `EIO`: input/output error */
  EIO: 5,
  /** `E2BIG`: argument list too long */
  E2BIG: 7,
  /** `EBADF`: bad file descriptor */
  EBADF: 9,
  /** `EAGAIN`: resource temporarily unavailable */
  EAGAIN: 11,
  /** `ENOMEM`: cannot allocate memory */
  ENOMEM: 12,
  /** `EACCES`: permission denied */
  EACCES: 13,
  /** `EFAULT`: bad address */
  EFAULT: 14,
  /** `EBUSY`: device or resource busy */
  EBUSY: 16,
  /** `EEXIST`: file exists */
  EEXIST: 17,
  /** `EXDEV`: invalid cross-device link */
  EXDEV: 18,
  /** `ENODEV`: no such device */
  ENODEV: 19,
  /** `ENOTDIR`: not a directory */
  ENOTDIR: 20,
  /** `EINVAL`: invalid argument */
  EINVAL: 22,
  /** `ENFILE`: too many open files in system */
  ENFILE: 23,
  /** `EMFILE`: too many open files */
  EMFILE: 24,
  /** `ENOSPC`: no space left on device */
  ENOSPC: 28,
  /** `ERANGE`: numerical result out of range */
  ERANGE: 34,
  /** `ENOSYS`: function not implemented */
  ENOSYS: 38,
  /** `ELOOP`: too many levels of symbolic links */
  ELOOP: 40,
  /** `EOPNOTSUPP`: operation not supported */
  EOPNOTSUPP: 95,
  /** `ENOTSUPP` (524, kernel-internal): operation is not supported */
  ENOTSUPP: 524,
} as const;

/** The `E…` name of an errno value, or `errno N` for one this package does not name. */
export function errnoName(errno: number): string {
  for (const [name, value] of Object.entries(Errno)) if (value === errno) return name;
  return `errno ${errno}`;
}

/**
 * What is known about the object a failed call was about, read from the kernel only after
 * the failure (see `failureFacts`); every field is optional, and a hint uses what is there.
 */
export interface FailureFacts {
  /** The process holds CAP_BPF or CAP_SYS_ADMIN. */
  readonly privileged?: boolean;
  /** For a program load: the capabilities its type needs besides CAP_BPF that the process lacks (`CAP_PERFMON`, `CAP_NET_ADMIN`). */
  readonly missingCapabilities?: readonly string[];
  /** The map the call was about, from `/proc/self/fdinfo`. */
  readonly map?: {
    /** Map type: a {@link @bpfkit/uapi!MapType} value. */
    readonly type: number;
    /** Capacity (`max_entries`). */
    readonly maxEntries: number;
    /** Frozen with BPF_MAP_FREEZE: no more writes from user space. */
    readonly frozen: boolean;
    /** The descriptor allows writes (not BPF_F_RDONLY, not a pin opened read-only). */
    readonly writableFd: boolean;
  };
  /** `BPF_PROG_TYPE_*` of the program loaded or run. */
  readonly programType?: number;
  /** `expected_attach_type` of a program loaded. */
  readonly attachType?: number;
  /** For a pin: whether the directory it goes in is on a bpf filesystem. */
  readonly pinDirectoryOnBpffs?: boolean;
  /** For a test run: bytes of input data. */
  readonly testDataSize?: number;
  /** ffi-napi was asked for in a worker thread. */
  readonly ffiNapiInWorker?: boolean;
}

/** Map types indexed by a u32 below max_entries; E2BIG on an update means an index past the end. */
const indexedMapTypes: ReadonlySet<number> = new Set([
  MapType.ARRAY,
  MapType.PROG_ARRAY,
  MapType.PERF_EVENT_ARRAY,
  MapType.PERCPU_ARRAY,
  MapType.CGROUP_ARRAY,
  MapType.ARRAY_OF_MAPS,
  MapType.DEVMAP,
  MapType.SOCKMAP,
  MapType.CPUMAP,
  MapType.XSKMAP,
]);
/** Map types that hold at most max_entries elements; E2BIG on an update means the map is full. */
const hashMapTypes: ReadonlySet<number> = new Set([
  MapType.HASH,
  MapType.PERCPU_HASH,
  MapType.HASH_OF_MAPS,
  MapType.SOCKHASH,
  MapType.DEVMAP_HASH,
]);
/** Program types whose test runs take a packet starting with an Ethernet header (14 bytes). */
const packetProgramTypes: ReadonlySet<number> = new Set([
  ProgramType.SOCKET_FILTER,
  ProgramType.SCHED_CLS,
  ProgramType.SCHED_ACT,
  ProgramType.XDP,
  ProgramType.CGROUP_SKB,
  ProgramType.LWT_IN,
  ProgramType.LWT_OUT,
  ProgramType.LWT_XMIT,
  ProgramType.LWT_SEG6LOCAL,
]);
/** Attach types of tracing and LSM programs that run through a BPF trampoline: fentry, fexit, fmod_ret, lsm, lsm_cgroup. */
const trampolineAttachTypes: ReadonlySet<number> = new Set([
  AttachType.TRACE_FENTRY,
  AttachType.TRACE_FEXIT,
  AttachType.MODIFY_RETURN,
  AttachType.LSM_MAC,
  AttachType.LSM_CGROUP,
]);
const mapWrites = new Set([
  'BPF_MAP_UPDATE_ELEM',
  'BPF_MAP_DELETE_ELEM',
  'BPF_MAP_LOOKUP_AND_DELETE_ELEM',
  'BPF_MAP_UPDATE_BATCH',
  'BPF_MAP_DELETE_BATCH',
  'BPF_MAP_LOOKUP_AND_DELETE_BATCH',
]);
const ETH_HLEN = 14;

function permissionHint(command: string, facts: FailureFacts): string {
  const map = facts.map;
  if (mapWrites.has(command) && map?.frozen) {
    return 'the map is frozen (BPF_MAP_FREEZE; read-only data such as .rodata is frozen at load): user space can no longer write it; set such values before load';
  }
  if (mapWrites.has(command) && map !== undefined && !map.writableFd) {
    return 'this descriptor of the map is read-only (the map was created with BPF_F_RDONLY, or its pin opened read-only): user space cannot write through it';
  }
  if (command === 'BPF_OBJ_PIN' && facts.pinDirectoryOnBpffs === false) {
    return 'the directory is not on a bpf filesystem, and only a bpffs holds pins: mount one (mount -t bpf bpf DIR) or pin below /sys/fs/bpf';
  }
  const missing = facts.missingCapabilities ?? [];
  if (command === 'BPF_PROG_LOAD' && facts.privileged && missing.length > 0) {
    const type =
      facts.programType === undefined ? 'programs of this type' : `${programTypeName(facts.programType)} programs`;
    const them = missing.length === 1 ? 'it' : 'them';
    return `${type} need ${missing.join(' and ')} besides CAP_BPF, and the process lacks ${them} (CAP_SYS_ADMIN would also do): grant ${them}, or run as root`;
  }
  const trampoline =
    facts.programType === ProgramType.EXT ||
    ((facts.programType === ProgramType.TRACING || facts.programType === ProgramType.LSM) &&
      trampolineAttachTypes.has(facts.attachType ?? -1));
  if (command === 'BPF_PROG_LOAD' && trampoline && facts.privileged) {
    return 'the process is privileged, so this kernel (or a security module) refuses BPF trampolines, which fentry, fexit, fmod_ret, lsm and freplace programs need: use a kprobe, tracepoint, raw_tp or tp_btf program instead';
  }
  if (facts.privileged) {
    return 'the process holds CAP_BPF or CAP_SYS_ADMIN, so something else refused it: a security module or lockdown, a read-only map or file, or a kernel setting';
  }
  return 'needs CAP_BPF or CAP_SYS_ADMIN (root has them unless they were dropped), and CAP_PERFMON/CAP_NET_ADMIN for some program types; check the RLIMIT_MEMLOCK limit on kernels before 5.11';
}

function tooBigHint(command: string, facts: FailureFacts): string {
  const map = facts.map;
  if (mapWrites.has(command) && map !== undefined && indexedMapTypes.has(map.type)) {
    return `the index is not below the map's max_entries ${map.maxEntries}: its indexes run from 0 to ${map.maxEntries - 1}`;
  }
  if (mapWrites.has(command) && map !== undefined && hashMapTypes.has(map.type)) {
    return `the map is full (max_entries ${map.maxEntries}): delete elements, or create it with more entries`;
  }
  return 'a field the kernel does not know is set, or a size is above its limit: the kernel may be older than the feature';
}

function invalidHint(command: string, facts: FailureFacts): string | undefined {
  const size = facts.testDataSize;
  if (
    command === 'BPF_PROG_TEST_RUN' &&
    size !== undefined &&
    size < ETH_HLEN &&
    facts.programType !== undefined &&
    packetProgramTypes.has(facts.programType)
  ) {
    return `the test data is ${size} bytes, and a packet program's test run needs at least ${ETH_HLEN} (an Ethernet header)`;
  }
  return undefined;
}

/**
 * What a person can do about an errno from bpf(2). The hint fits the command and what
 * `facts` say about the object (a frozen map, an index past max_entries, a directory that
 * is not a bpffs…); without facts it speaks in general terms.
 */
export function errnoHint(errno: number, command = '', facts: FailureFacts = {}): string | undefined {
  switch (errno) {
    case Errno.EPERM:
      return permissionHint(command, facts);
    case Errno.E2BIG:
      return tooBigHint(command, facts);
    case Errno.EINVAL:
      return invalidHint(command, facts);
    case Errno.ENOSYS:
      return 'this kernel was built without bpf(2) (CONFIG_BPF_SYSCALL)';
    case Errno.ENOTSUPP:
    case Errno.EOPNOTSUPP:
      return facts.ffiNapiInWorker
        ? 'ffi-napi is refused in worker threads, as terminating such a worker crashes the process (an ffi-napi bug): use koffi, the default, in workers'
        : 'the kernel does not support this map type, program type or operation';
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
