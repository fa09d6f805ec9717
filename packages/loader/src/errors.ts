/** The loader step that failed. */
export type LoadStep =
  | 'open'
  | 'relocate-core'
  | 'resolve-externs'
  | 'load-btf'
  | 'create-map'
  | 'create-prototype'
  | 'write-initial-value'
  | 'freeze'
  | 'fill-slots'
  | 'pin'
  | 'load-program'
  | 'fill-program-slots'
  | 'use';

/** What a {@link LoadError} is about; JSON-safe. */
export interface LoadErrorContext {
  /** The object. */
  readonly object?: string;
  /** The map involved (the outer map, for slots). */
  readonly map?: string;
  /** The slot index, for slot writes. */
  readonly slot?: number;
  /** The map or program a slot was being set to. */
  readonly target?: string;
  /** The program involved. */
  readonly program?: string;
  /** The instruction the verifier stopped at. */
  readonly insn?: number;
  /** Source location of that instruction, from line info. */
  readonly source?: { readonly file: string; readonly line: number; readonly text: string };
  /** errno name of the failing system call. */
  readonly errno?: string;
  /** A pin path involved. */
  readonly path?: string;
  /** What a refused argument had to be (`2 values`, `0 to 4294967295`). */
  readonly expected?: string;
  /** What it was. */
  readonly actual?: string;
  /** What to do about it. */
  readonly hint?: string;
}

const bpfkitErrorBrand = Symbol.for('@bpfkit/error');

/**
 * The error `@bpfkit/loader` throws: which step failed and on what, with the lower layer's
 * error as `cause`. By the time it is thrown, everything the load opened is closed.
 */
export class LoadError extends Error {
  /** Marks every bpfkit error, so guards work across duplicated module copies. */
  readonly [bpfkitErrorBrand] = true;
  /** Always `LoadError`. */
  override readonly name = 'LoadError';

  constructor(
    /** The step that failed. */
    readonly step: LoadStep,
    /** The problem alone, without the location prefix. */
    readonly problem: string,
    /** Which map, slot, program and instruction. */
    readonly context: LoadErrorContext = {},
    options?: { cause?: unknown },
  ) {
    const where: string[] = [];
    if (context.object !== undefined) where.push(`object '${context.object}'`);
    if (context.map !== undefined) where.push(`map '${context.map}'`);
    if (context.slot !== undefined) where.push(`slot [${context.slot}]`);
    if (context.program !== undefined) where.push(`prog '${context.program}'`);
    super(
      `${where.length > 0 ? `${where.join(': ')}: ` : ''}${problem}${context.hint ? ` — ${context.hint}` : ''}`,
      options,
    );
  }

  /** True for a `LoadError` from any copy of this package. */
  static is(value: unknown): value is LoadError {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<symbol, unknown>)[bpfkitErrorBrand] === true &&
      (value as { name?: unknown }).name === 'LoadError'
    );
  }
}
