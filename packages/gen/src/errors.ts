/** Broad classes of generation and generated-code failure; stable strings callers can switch on. */
export type GenErrorCode =
  /** A type has no JavaScript value (void, a function, a forward declaration, an odd-sized float). */
  | 'unsupported-type'
  /** A type named with `--type` (or an event type) is not in the object's BTF. */
  | 'type-not-found'
  /** A value given to generated code does not fit its C type. */
  | 'out-of-range'
  /** A skeleton's live memory was used after `close()`, or before `load()`. */
  | 'not-loaded'
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

const bpfkitErrorBrand = Symbol.for('@bpfkit/error');

/** The error `@bpfkit/gen` and the code it generates throw: what failed, where, and what would fit. */
export class GenError extends Error {
  /** Marks every bpfkit error, so guards work across duplicated module copies. */
  readonly [bpfkitErrorBrand] = true;
  /** Always `GenError`. */
  override readonly name = 'GenError';

  constructor(
    /** Broad class of failure. */
    readonly code: GenErrorCode,
    /** The problem alone, without the location prefix. */
    readonly problem: string,
    /** Which object, type, field and values. */
    readonly context: GenErrorContext = {},
  ) {
    const where = [
      context.object === undefined ? undefined : `object '${context.object}'`,
      context.field === undefined ? undefined : `'${context.field}'`,
    ].filter((part) => part !== undefined);
    const values =
      context.expected === undefined ? '' : ` (expected ${context.expected}, got ${context.actual ?? 'nothing'})`;
    super(`${where.length > 0 ? `${where.join(': ')}: ` : ''}${problem}${values}`);
  }

  /** True for a `GenError` from any copy of this package. */
  static is(value: unknown): value is GenError {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<symbol, unknown>)[bpfkitErrorBrand] === true &&
      (value as { name?: unknown }).name === 'GenError'
    );
  }
}
