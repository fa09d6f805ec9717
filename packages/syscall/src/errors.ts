import { BpfkitError, type ErrorPlace } from '@bpfkit/errors';
import { commandName } from '@bpfkit/uapi';
import { Errno, errnoHint, errnoName, type FailureFacts } from './errno.js';

/** Broad classes of bpf(2) failure; stable strings callers can switch on. */
export type BpfSyscallErrorCode =
  | 'permission'
  | 'not-supported'
  | 'not-found'
  | 'exists'
  | 'invalid'
  | 'verifier'
  | 'no-space'
  | 'bad-fd'
  | 'other';

/** What the failing call was about; JSON-safe. */
export interface BpfSyscallErrorContext {
  /** The map, program or object the call was for. */
  readonly object?: string;
  /** The map involved. */
  readonly map?: string;
  /** The program involved. */
  readonly program?: string;
  /** A path involved (pinning). */
  readonly path?: string;
  /** The argument refused before any kernel call (`key`, `value`, `values`, …). */
  readonly field?: string;
  /** What that argument had to be (`16 bytes`). */
  readonly expected?: string;
  /** What it was. */
  readonly actual?: string;
  /** What was wrong, for a call refused by bpfkit's own checks (a pin path that is a symbolic link). */
  readonly reason?: string;
}

function classify(errno: number, hasLog: boolean): BpfSyscallErrorCode {
  switch (errno) {
    case Errno.EPERM:
      return 'permission';
    case Errno.E2BIG:
    case Errno.ENOTSUPP:
    case Errno.EOPNOTSUPP:
    case Errno.ENOSYS:
      return 'not-supported';
    case Errno.ENOENT:
      return 'not-found';
    case Errno.EEXIST:
      return 'exists';
    case Errno.ENOSPC:
      return 'no-space';
    case Errno.EBADF:
      return 'bad-fd';
    case Errno.EACCES:
      return hasLog ? 'verifier' : 'permission';
    case Errno.EINVAL:
      return hasLog ? 'verifier' : 'invalid';
    case Errno.ELOOP:
    case Errno.ENOTDIR:
      return 'invalid';
    default:
      return 'other';
  }
}

/**
 * A bpf(2) call the kernel refused: the command, errno and its name, a hint a person can
 * act on, and for loads the verifier or BTF log (as lines; the message shows the last two).
 */
export class BpfSyscallError extends BpfkitError<BpfSyscallErrorCode, BpfSyscallErrorContext> {
  static override readonly errorName = 'BpfSyscallError';
  /** `BPF_MAP_CREATE`, `BPF_PROG_LOAD`, … */
  readonly command: string;
  /** `EPERM`, `EINVAL`, … */
  readonly errnoName: string;

  constructor(
    /** A bpf(2) command number, or the name of another call (`perf_event_open`, `mmap`). */
    command: number | string,
    /** The errno value. */
    readonly errno: number,
    /** Which map, program or path the call was for. */
    context: BpfSyscallErrorContext = {},
    /** Verifier or BTF log lines, for failed loads. */
    readonly log: readonly string[] = [],
    /** What is known about the object the call was about, so the hint fits it (see `failureFacts`). */
    facts: FailureFacts = {},
    /** A hint that fits this call better than the errno's (arguments refused before the call). */
    hint?: string,
  ) {
    const name = typeof command === 'string' ? command : commandName(command);
    const places: ErrorPlace[] = context.map
      ? [{ kind: 'map', text: `map '${context.map}'` }]
      : context.program
        ? [{ kind: 'prog', text: `prog '${context.program}'` }]
        : [];
    const tail = log.filter((l) => l.trim() !== '').slice(-2);
    const logPart =
      tail.length > 0 ? `; log: ${tail.join(' | ')}${log.length > 2 ? ` (last 2 of ${log.length} lines)` : ''}` : '';
    const outcome =
      context.reason !== undefined
        ? `refused: ${context.reason} (${errnoName(errno)})`
        : context.field === undefined
          ? `failed: ${errnoName(errno)}`
          : `refused before the call: ${context.field} is ${context.actual}, expected ${context.expected} (${errnoName(errno)})`;
    super(classify(errno, log.length > 0), `${name} ${outcome}`, context, {
      places,
      detail: `${context.path ? ` (${context.path})` : ''}${logPart}`,
      hint: hint ?? errnoHint(errno, name, facts),
    });
    this.command = name;
    this.errnoName = errnoName(errno);
  }
}
