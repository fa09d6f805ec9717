import { BpfkitError, type BpfkitErrorOptions, type ErrorPlace } from '@bpfkit/errors';

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
  | 'cancelled'
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
  readonly source?: {
    /** The C source file. */
    readonly file: string;
    /** The line number in it. */
    readonly line: number;
    /** The line's text. */
    readonly text: string;
  };
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

/**
 * The error `@bpfkit/loader` throws: which step failed and on what, with the lower layer's
 * error as `cause` (its text ends the message, after the places it does not already name).
 * By the time it is thrown, everything the load opened is closed.
 */
export class LoadError extends BpfkitError<LoadStep, LoadErrorContext> {
  static override readonly errorName = 'LoadError';

  constructor(
    /** The step that failed. */
    step: LoadStep,
    /** The problem alone, without the location prefix. */
    problem: string,
    /** Which map, slot, program and instruction; its `hint` ends the message. */
    context: LoadErrorContext = {},
    options: Omit<BpfkitErrorOptions, 'hint'> = {},
  ) {
    const places: ErrorPlace[] = [];
    if (context.object !== undefined) places.push({ kind: 'object', text: `object '${context.object}'` });
    if (context.map !== undefined) places.push({ kind: 'map', text: `map '${context.map}'` });
    if (context.slot !== undefined) places.push({ kind: 'slot', text: `slot [${context.slot}]` });
    if (context.program !== undefined) places.push({ kind: 'prog', text: `prog '${context.program}'` });
    super(step, problem, context, { ...options, places, hint: context.hint });
  }

  /** The step that failed (the same as `code`). */
  get step(): LoadStep {
    return this.code;
  }
}
