/** Broad classes of event channel failure; stable strings callers can switch on. */
export type EventsErrorCode =
  /** The map is not of the type the reader or writer needs. */
  | 'wrong-map-type'
  /** A size the kernel's rules refuse (ring size, page count, record size). */
  | 'bad-size'
  /** The reader or writer is closed. */
  | 'closed'
  /** A record type to decode with is not in the object's BTF. */
  | 'type-not-found'
  /** A kernel call failed; `cause` holds the syscall error. */
  | 'kernel';

/** What an {@link EventsError} is about; JSON-safe. */
export interface EventsErrorContext {
  /** The map the channel reads or writes. */
  readonly map?: string;
  /** The CPU, for perf buffers. */
  readonly cpu?: number;
  /** A size involved (record, ring or page count). */
  readonly size?: number;
  /** The BTF type name, for decoding. */
  readonly type?: string;
}

const bpfkitErrorBrand = Symbol.for('@bpfkit/error');

/**
 * The error `@bpfkit/events` throws: what failed on which map (and CPU), with a hint when
 * there is something to do about it, and the lower layer's error as `cause`.
 */
export class EventsError extends Error {
  /** Marks every bpfkit error, so guards work across duplicated module copies. */
  readonly [bpfkitErrorBrand] = true;
  /** Always `EventsError`. */
  override readonly name = 'EventsError';

  constructor(
    /** Broad class of failure. */
    readonly code: EventsErrorCode,
    /** The problem alone, without the location prefix. */
    readonly problem: string,
    /** Which map, CPU, size or type. */
    readonly context: EventsErrorContext = {},
    /** What to do about it. */
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    const where = [
      context.map === undefined ? undefined : `map '${context.map}'`,
      context.cpu === undefined ? undefined : `cpu ${context.cpu}`,
    ].filter((part) => part !== undefined);
    super(`${where.length > 0 ? `${where.join(': ')}: ` : ''}${problem}${hint ? ` (${hint})` : ''}`, options);
  }

  /** True for an `EventsError` from any copy of this package. */
  static is(value: unknown): value is EventsError {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<symbol, unknown>)[bpfkitErrorBrand] === true &&
      (value as { name?: unknown }).name === 'EventsError'
    );
  }
}

/** Runs a kernel call, wrapping a failure as an {@link EventsError} with code `kernel`. */
export function kernelStep<T>(what: string, context: EventsErrorContext, step: () => T): T {
  try {
    return step();
  } catch (error) {
    throw new EventsError(
      'kernel',
      `${what}: ${error instanceof Error ? error.message : String(error)}`,
      context,
      undefined,
      {
        cause: error,
      },
    );
  }
}
