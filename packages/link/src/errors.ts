import { BpfkitError, type BpfkitErrorOptions, type ErrorPlace } from '@bpfkit/errors';
import { BpfSyscallError } from '@bpfkit/syscall';

/** Broad classes of attach failure; stable strings callers can switch on. */
export type LinkErrorCode =
  /** A target that cannot be parsed or is out of range (a probe spec, an offset, a glob). */
  | 'bad-target'
  /** The attach point needs something the caller did not give (an interface, a cgroup, a socket). */
  | 'needs-option'
  /** A symbol, binary, tracepoint, interface or probe that does not exist. */
  | 'not-found'
  /** This kernel cannot attach this way (no kprobe PMU, no tracefs, no BPF cookies). */
  | 'not-supported'
  /** The link is closed, or is not a bpf link (socket filters). */
  | 'no-link'
  /** A kernel call failed; `cause` holds the syscall error. */
  | 'kernel';

/** What a {@link LinkError} is about; JSON-safe. */
export interface LinkErrorContext {
  /** The attach kind (`kprobe`, `uprobe`, `usdt`, `xdp`…). */
  readonly kind?: string;
  /** The program being attached, when known. */
  readonly program?: string;
  /** The attach target as given (`do_sys_open`, `/bin/bash:readline`, `eth0`). */
  readonly target?: string;
  /** A file involved (the probed binary, a tracefs file, a cgroup directory). */
  readonly path?: string;
  /** An errno name, for kernel failures. */
  readonly errno?: string;
}

/**
 * The error `@bpfkit/link` throws: which kind of attachment, of which program, to which
 * target failed and why, with a hint when there is something to do, and the lower layer's
 * error as `cause`.
 */
export class LinkError extends BpfkitError<LinkErrorCode, LinkErrorContext> {
  static override readonly errorName = 'LinkError';

  constructor(
    /** Broad class of failure. */
    code: LinkErrorCode,
    /** The problem alone, without the location prefix. */
    problem: string,
    /** Which kind, program, target and file. */
    context: LinkErrorContext = {},
    /** What to do about it. */
    hint?: string,
    options: Omit<BpfkitErrorOptions, 'hint'> = {},
  ) {
    const places: ErrorPlace[] = [];
    if (context.program !== undefined) places.push({ kind: 'prog', text: `program '${context.program}'` });
    if (context.kind !== undefined) {
      const target = context.target === undefined ? '' : ` '${context.target}'`;
      places.push({ kind: 'attach', text: `${context.kind}${target}` });
    }
    super(code, problem, context, { ...options, places, hint });
  }
}

/**
 * Runs a kernel call, wrapping a syscall failure as a {@link LinkError} with code `kernel`
 * (and `not-supported` when the kernel said so) that keeps `context` and the cause, and
 * has `hint` (else the syscall error's) for a `kernel` refusal.
 */
export function kernelStep<T>(what: string, context: LinkErrorContext, step: () => T, hint?: string): T {
  try {
    return step();
  } catch (error) {
    if (LinkError.is(error) || !BpfSyscallError.is(error)) throw error;
    const errno = error.errnoName;
    const notSupported = errno === 'EOPNOTSUPP' || errno === 'ENOTSUPP' || errno === 'ENOSYS';
    // The problem names the errno (and the reason a check refused) and the hint is the syscall error's, so its text is not repeated.
    const reason = error.context.reason;
    throw new LinkError(
      notSupported ? 'not-supported' : 'kernel',
      reason === undefined ? `${what}: ${errno}` : `${what}: ${reason} (${errno})`,
      { ...context, errno },
      (notSupported ? undefined : hint) ?? error.hint,
      {
        cause: error,
        causeInMessage: false,
      },
    );
  }
}
