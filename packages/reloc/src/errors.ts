import { BpfkitError, type BpfkitErrorOptions, type ErrorPlace, foundValues } from '@bpfkit/errors';

/** Reasons a program cannot be planned; stable strings callers can switch on. */
export type RelocErrorCode =
  | 'bad-program'
  | 'unknown-section'
  | 'bad-relocation'
  | 'bad-call'
  | 'unsupported-extern'
  | 'unresolved-extern'
  | 'kfunc-mismatch'
  | 'missing-map'
  | 'bad-instruction'
  | 'bad-ext'
  | 'core-ambiguous'
  | 'core-bad-access'
  | 'not-found';

/** Which program, section and instruction an error is about; JSON-safe. */
export interface RelocErrorContext {
  /** The object. */
  readonly object?: string;
  /** ELF section of the program. */
  readonly section?: string;
  /** The program (entry function) involved. */
  readonly program?: string;
  /** Instruction index inside the section (or the final program, where said). */
  readonly insn?: number;
  /** Symbol the relocation refers to. */
  readonly symbol?: string;
  /** Byte offset in the section. */
  readonly offset?: number;
  /** What was expected. */
  readonly expected?: string | number;
  /** What was found. */
  readonly actual?: string | number;
}

/** The error `@bpfkit/reloc` throws: a code, a sentence naming program, section and instruction, and {@link context}. */
export class RelocError extends BpfkitError<RelocErrorCode, RelocErrorContext> {
  static override readonly errorName = 'RelocError';

  constructor(
    /** What kind of problem this is. */
    code: RelocErrorCode,
    /** The problem alone, without the location prefix of the message. */
    problem: string,
    /** Where it happened and the values involved. */
    context: RelocErrorContext = {},
    options: BpfkitErrorOptions = {},
  ) {
    const places: ErrorPlace[] = [];
    if (context.object !== undefined) places.push({ kind: 'object', text: `object '${context.object}'` });
    if (context.program !== undefined) places.push({ kind: 'prog', text: `prog '${context.program}'` });
    if (context.section !== undefined) places.push({ kind: 'section', text: `section '${context.section}'` });
    if (context.insn !== undefined) places.push({ kind: 'insn', text: `insn #${context.insn}` });
    super(code, problem, context, { ...options, places, detail: foundValues(context.expected, context.actual) });
  }
}
