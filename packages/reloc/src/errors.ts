/** Reasons a program cannot be planned; stable strings callers can switch on. */
export type RelocErrorCode =
  | 'bad-program'
  | 'unknown-section'
  | 'bad-relocation'
  | 'bad-call'
  | 'unsupported-extern'
  | 'unresolved-extern'
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

const bpfkitErrorBrand = Symbol.for('@bpfkit/error');

/** The error `@bpfkit/reloc` throws: a code, a sentence naming program, section and instruction, and {@link context}. */
export class RelocError extends Error {
  /** Marks every bpfkit error, so guards work across duplicated module copies. */
  readonly [bpfkitErrorBrand] = true;
  /** Always `RelocError`. */
  override readonly name = 'RelocError';

  constructor(
    /** What kind of problem this is. */
    readonly code: RelocErrorCode,
    /** The problem alone, without the location prefix of {@link message}. */
    readonly problem: string,
    /** Where it happened and the values involved. */
    readonly context: RelocErrorContext = {},
    options?: { cause?: unknown },
  ) {
    const where: string[] = [];
    if (context.object !== undefined) where.push(`object '${context.object}'`);
    if (context.program !== undefined) where.push(`prog '${context.program}'`);
    if (context.section !== undefined) where.push(`section '${context.section}'`);
    if (context.insn !== undefined) where.push(`insn #${context.insn}`);
    const found =
      context.expected !== undefined || context.actual !== undefined
        ? ` (expected ${context.expected ?? '?'}, got ${context.actual ?? '?'})`
        : '';
    super(`${where.length > 0 ? `${where.join(': ')}: ` : ''}${problem}${found}`, options);
  }

  /** True for a `RelocError` from any copy of this package (checks the brand, not `instanceof`). */
  static is(value: unknown): value is RelocError {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<symbol, unknown>)[bpfkitErrorBrand] === true &&
      (value as { name?: unknown }).name === 'RelocError'
    );
  }
}
