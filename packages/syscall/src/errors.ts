import { commandName } from './commands.js';
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
}

const bpfkitErrorBrand = Symbol.for('@bpfkit/error');

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
    default:
      return 'other';
  }
}

/**
 * A bpf(2) call the kernel refused: the command, errno and its name, a hint a person can
 * act on, and for loads the verifier or BTF log (as lines; the message shows the last two).
 */
export class BpfSyscallError extends Error {
  /** Marks every bpfkit error, so guards work across duplicated module copies. */
  readonly [bpfkitErrorBrand] = true;
  /** Always `BpfSyscallError`. */
  override readonly name = 'BpfSyscallError';
  /** Broad class of failure. */
  readonly code: BpfSyscallErrorCode;
  /** `BPF_MAP_CREATE`, `BPF_PROG_LOAD`, … */
  readonly command: string;
  /** `EPERM`, `EINVAL`, … */
  readonly errnoName: string;
  /** What to do about it, when there is something general to say. */
  readonly hint: string | undefined;

  constructor(
    /** A bpf(2) command number, or the name of another call (`perf_event_open`, `mmap`). */
    command: number | string,
    /** The errno value. */
    readonly errno: number,
    /** Which map, program or path the call was for. */
    readonly context: BpfSyscallErrorContext = {},
    /** Verifier or BTF log lines, for failed loads. */
    readonly log: readonly string[] = [],
    /** What is known about the object the call was about, so the hint fits it (see `failureFacts`). */
    facts: FailureFacts = {},
    /** A hint that fits this call better than the errno's (arguments refused before the call). */
    hint?: string,
  ) {
    const name = typeof command === 'string' ? command : commandName(command);
    hint ??= errnoHint(errno, name, facts);
    const what = context.map ? `map '${context.map}': ` : context.program ? `prog '${context.program}': ` : '';
    const where = context.path ? ` (${context.path})` : '';
    const tail = log.filter((l) => l.trim() !== '').slice(-2);
    const logPart =
      tail.length > 0 ? `; log: ${tail.join(' | ')}${log.length > 2 ? ` (last 2 of ${log.length} lines)` : ''}` : '';
    const outcome =
      context.field === undefined
        ? `failed: ${errnoName(errno)}`
        : `refused before the call: ${context.field} is ${context.actual}, expected ${context.expected} (${errnoName(errno)})`;
    super(`${what}${name} ${outcome}${where}${hint ? ` — ${hint}` : ''}${logPart}`);
    this.command = name;
    this.errnoName = errnoName(errno);
    this.hint = hint;
    this.code = classify(errno, log.length > 0);
  }

  /** True for a `BpfSyscallError` from any copy of this package. */
  static is(value: unknown): value is BpfSyscallError {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<symbol, unknown>)[bpfkitErrorBrand] === true &&
      (value as { name?: unknown }).name === 'BpfSyscallError'
    );
  }
}
