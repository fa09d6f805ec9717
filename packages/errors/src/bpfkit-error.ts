/**
 * The brand every bpfkit error carries, shared by all copies of every package
 * (`Symbol.for`), so guards work where ESM and CJS copies of a package coexist.
 */
export const bpfkitErrorBrand: unique symbol = Symbol.for('@bpfkit/error');

/** One piece of where an error happened (`map 'events'`, `slot [3]`), keyed by what it names. */
export interface ErrorPlace {
  /** What the piece names (`object`, `map`, `slot`, `prog`, …); a wrapping error's piece of a kind replaces the cause's. */
  readonly kind: string;
  /** How the message shows it. */
  readonly text: string;
}

/** What an error may carry besides its code, problem and context. */
export interface BpfkitErrorOptions {
  /** The lower layer's error this one wraps; its text ends the message, after this error's problem. */
  readonly cause?: unknown;
  /** What to do about it, when there is something to say. */
  readonly hint?: string | undefined;
  /** False when the problem already sums up the cause (a verifier log's last line), so the cause's text is left out. */
  readonly causeInMessage?: boolean;
}

/** What a subclass passes to {@link BpfkitError}'s constructor besides code, problem and context. */
export interface ErrorParts extends BpfkitErrorOptions {
  /** Where it happened, outermost first. */
  readonly places?: readonly ErrorPlace[];
  /** Follows the problem in the message (values found, a log excerpt). */
  readonly detail?: string;
}

/**
 * True for an error thrown by any bpfkit package, from any copy of it (checks the brand, not `instanceof`).
 * @example
 * ```ts
 * import { isBpfkitError } from '@bpfkit/errors';
 * import { BpfObject } from '@bpfkit/loader';
 *
 * try {
 *   BpfObject.open('probe.bpf.o').load();
 * } catch (error) {
 *   if (!isBpfkitError(error)) throw error;
 *   console.error(error.name, error.code, JSON.stringify(error.context), error.hint);
 * }
 * ```
 */
export function isBpfkitError(value: unknown): value is BpfkitError<string, object> {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[bpfkitErrorBrand] === true;
}

/**
 * The base of every bpfkit package's error class. The message reads as one sentence: where
 * (`object 'o': map 'm'`), the problem, the values found, the cause's text, then a hint.
 * A wrapping error adds its context in front of its cause's instead of repeating it: places
 * of a kind both name are shown once (the wrapper's), and the cause's own places join the
 * wrapper's ("map 'events': create: BPF_MAP_CREATE failed: EINVAL").
 */
export abstract class BpfkitError<Code extends string, Context extends object> extends Error {
  /** The class's `name`, which {@link BpfkitError.is} checks; each subclass sets its own. */
  static readonly errorName: string = 'BpfkitError';

  /** Marks every bpfkit error, so guards work across duplicated module copies. */
  readonly [bpfkitErrorBrand] = true;
  /** The subclass's name (`ElfError`, `LoadError`, …). */
  override readonly name: string;
  /** What kind of problem this is; stable strings callers can switch on. */
  readonly code: Code;
  /** The problem alone, without places, values found, cause or hint. */
  readonly problem: string;
  /** The same facts as structured, JSON-safe values. */
  readonly context: Context;
  /** What to do about it, when there is something to say. */
  readonly hint: string | undefined;
  /** Where it happened, outermost first, the cause's places included. */
  readonly places: readonly ErrorPlace[];
  /** The message without its places: what a wrapping error puts after its own problem. */
  readonly statement: string;

  protected constructor(code: Code, problem: string, context: Context, parts: ErrorParts = {}) {
    const inner = isBpfkitError(parts.cause) ? parts.cause : undefined;
    const own = parts.places ?? [];
    const places = inner === undefined ? own : mergePlaces(own, inner.places);
    const causeText =
      parts.cause === undefined || parts.causeInMessage === false
        ? ''
        : (inner?.statement ?? (parts.cause instanceof Error ? parts.cause.message : String(parts.cause)));
    const head = `${problem}${parts.detail ?? ''}`;
    const body = head !== '' && causeText !== '' ? `${head}: ${causeText}` : `${head}${causeText}`;
    const statement = `${body}${parts.hint ? ` — ${parts.hint}` : ''}`;
    super(
      places.length > 0 ? `${places.map((p) => p.text).join(': ')}: ${statement}` : statement,
      parts.cause === undefined ? undefined : { cause: parts.cause },
    );
    this.name = (new.target as unknown as typeof BpfkitError).errorName;
    this.code = code;
    this.problem = problem;
    this.context = context;
    this.hint = parts.hint;
    this.places = places;
    this.statement = statement;
  }

  /** True for an error of this class from any copy of its package (checks the brand and the name, not `instanceof`). */
  static is<T extends BpfkitError<string, object>>(
    this: abstract new (
      ...args: never[]
    ) => T,
    value: unknown,
  ): value is T {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass the guard is called on, not BpfkitError.
    return isBpfkitError(value) && value.name === (this as unknown as typeof BpfkitError).errorName;
  }
}

/**
 * A wrapper's places followed by those of its cause it does not name a kind of; the object,
 * whoever names it, comes first, as the outermost place.
 */
function mergePlaces(own: readonly ErrorPlace[], inner: readonly ErrorPlace[]): ErrorPlace[] {
  const merged = [...own, ...inner.filter((p) => !own.some((o) => o.kind === p.kind))];
  return [...merged.filter((p) => p.kind === 'object'), ...merged.filter((p) => p.kind !== 'object')];
}

/** ` (expected X, got Y)` when either is known, else empty: the values-found part of a message. */
export function foundValues(expected: unknown, actual: unknown): string {
  return expected === undefined && actual === undefined ? '' : ` (expected ${expected ?? '?'}, got ${actual ?? '?'})`;
}
