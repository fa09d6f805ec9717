import { BpfkitError, type BpfkitErrorOptions, type ErrorPlace } from '@bpfkit/errors';

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

/**
 * The error `@bpfkit/events` throws: what failed on which map (and CPU), with a hint when
 * there is something to do about it, and the lower layer's error as `cause`.
 */
export class EventsError extends BpfkitError<EventsErrorCode, EventsErrorContext> {
  static override readonly errorName = 'EventsError';

  constructor(
    /** Broad class of failure. */
    code: EventsErrorCode,
    /** The problem alone, without the location prefix. */
    problem: string,
    /** Which map, CPU, size or type. */
    context: EventsErrorContext = {},
    /** What to do about it. */
    hint?: string,
    options: Omit<BpfkitErrorOptions, 'hint'> = {},
  ) {
    const places: ErrorPlace[] = [];
    if (context.map !== undefined) places.push({ kind: 'map', text: `map '${context.map}'` });
    if (context.cpu !== undefined) places.push({ kind: 'cpu', text: `cpu ${context.cpu}` });
    super(code, problem, context, { ...options, places, hint });
  }
}

/** Runs a kernel call, wrapping a failure as an {@link EventsError} with code `kernel`. */
export function kernelStep<T>(what: string, context: EventsErrorContext, step: () => T): T {
  try {
    return step();
  } catch (error) {
    throw new EventsError('kernel', what, context, undefined, { cause: error });
  }
}
