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

const bpfkitErrorBrand = Symbol.for('@bpfkit/error');

/**
 * The error `@bpfkit/link` throws: which kind of attachment, of which program, to which
 * target failed and why, with a hint when there is something to do, and the lower layer's
 * error as `cause`.
 */
export class LinkError extends Error {
  /** Marks every bpfkit error, so guards work across duplicated module copies. */
  readonly [bpfkitErrorBrand] = true;
  /** Always `LinkError`. */
  override readonly name = 'LinkError';

  constructor(
    /** Broad class of failure. */
    readonly code: LinkErrorCode,
    /** The problem alone, without the location prefix. */
    readonly problem: string,
    /** Which kind, program, target and file. */
    readonly context: LinkErrorContext = {},
    /** What to do about it. */
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    const where = [
      context.program === undefined ? undefined : `program '${context.program}'`,
      context.kind === undefined
        ? undefined
        : `${context.kind}${context.target === undefined ? '' : ` '${context.target}'`}`,
    ].filter((part) => part !== undefined);
    super(`${where.length > 0 ? `${where.join(': ')}: ` : ''}${problem}${hint ? ` (${hint})` : ''}`, options);
  }

  /** True for a `LinkError` from any copy of this package. */
  static is(value: unknown): value is LinkError {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<symbol, unknown>)[bpfkitErrorBrand] === true &&
      (value as { name?: unknown }).name === 'LinkError'
    );
  }
}

/**
 * Runs a kernel call, wrapping a syscall failure as a {@link LinkError} with code `kernel`
 * (and `not-supported` when the kernel said so) that keeps `context` and the cause.
 */
export function kernelStep<T>(what: string, context: LinkErrorContext, step: () => T): T {
  try {
    return step();
  } catch (error) {
    if (LinkError.is(error) || !BpfSyscallError.is(error)) throw error;
    const errno = error.errnoName;
    const notSupported = errno === 'EOPNOTSUPP' || errno === 'ENOTSUPP' || errno === 'ENOSYS';
    throw new LinkError(
      notSupported ? 'not-supported' : 'kernel',
      `${what}: ${errno}`,
      { ...context, errno },
      error.hint,
      {
        cause: error,
      },
    );
  }
}
