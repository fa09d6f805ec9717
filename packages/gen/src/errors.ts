import { BpfkitError, type BpfkitErrorOptions, type ErrorPlace } from '@bpfkit/errors';

/** Broad classes of generation and generated-code failure; stable strings callers can switch on. */
export type GenErrorCode =
  /** A type has no JavaScript value (void, a function, a forward declaration, an odd-sized float). */
  | 'unsupported-type'
  /** A type named with `--type` (or an event type) is not in the object's BTF. */
  | 'type-not-found'
  /** A value given to generated code does not fit its C type. */
  | 'out-of-range'
  /** A skeleton's global variables were used after `close()` or a failed `load()`. */
  | 'not-loaded'
  /** A `.rodata` variable was written after `load()` froze its map. */
  | 'read-only'
  /** The object cannot have a skeleton (no BTF, a bad name). */
  | 'bad-object';

/** What a {@link GenError} is about; JSON-safe. */
export interface GenErrorContext {
  /** The BPF object. */
  readonly object?: string;
  /** A BTF type id. */
  readonly typeId?: number;
  /** A type, variable, member or map name. */
  readonly field?: string;
  /** What would have fitted. */
  readonly expected?: string;
  /** What was given. */
  readonly actual?: string;
}

/** The error `@bpfkit/gen` and the code it generates throw: what failed, where, and what would fit. */
export class GenError extends BpfkitError<GenErrorCode, GenErrorContext> {
  static override readonly errorName = 'GenError';

  constructor(
    /** Broad class of failure. */
    code: GenErrorCode,
    /** The problem alone, without the location prefix. */
    problem: string,
    /** Which object, type, field and values. */
    context: GenErrorContext = {},
    options: BpfkitErrorOptions = {},
  ) {
    const places: ErrorPlace[] = [];
    if (context.object !== undefined) places.push({ kind: 'object', text: `object '${context.object}'` });
    if (context.field !== undefined) places.push({ kind: 'field', text: `'${context.field}'` });
    const detail =
      context.expected === undefined ? '' : ` (expected ${context.expected}, got ${context.actual ?? 'nothing'})`;
    super(code, problem, context, { ...options, places, detail });
  }
}
