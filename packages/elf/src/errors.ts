/** Reasons an ELF input is refused; stable strings callers can switch on. */
export type ElfErrorCode =
  | 'truncated'
  | 'bad-magic'
  | 'unsupported-class'
  | 'bad-byte-order'
  | 'bad-version'
  | 'out-of-bounds'
  | 'bad-index'
  | 'bad-entsize'
  | 'unterminated-string'
  | 'too-large'
  | 'bad-link'
  | 'duplicate-symtab'
  | 'bad-note'
  | 'not-bpf';

/** Where in the file an {@link ElfError} happened and what was found; JSON-safe. */
export interface ElfErrorContext {
  /** Name of the object being read, when the caller gave one. */
  readonly object?: string;
  /** Index of the section involved. */
  readonly section?: number;
  /** Name of the section involved, when known. */
  readonly sectionName?: string;
  /** Index of the symbol or relocation entry involved. */
  readonly entry?: number;
  /** The header field that holds the bad value (e.g. `sh_offset`). */
  readonly field?: string;
  /** Absolute byte offset in the file where the bad value or structure sits. */
  readonly offset?: number;
  /** What a valid file has there. */
  readonly expected?: string | number;
  /** What this file has there. */
  readonly actual?: string | number;
}

const bpfkitErrorBrand = Symbol.for('@bpfkit/error');

/**
 * The only error `@bpfkit/elf` throws on bad input: a code, a sentence naming the
 * field, byte offset and expectation, and the same facts as structured {@link context}.
 */
export class ElfError extends Error {
  /** Marks every bpfkit error, so guards work across duplicated module copies. */
  readonly [bpfkitErrorBrand] = true;
  /** Always `ElfError`. */
  override readonly name = 'ElfError';

  constructor(
    /** What kind of problem this is. */
    readonly code: ElfErrorCode,
    /** The problem alone, without the location prefix of {@link message}. */
    readonly problem: string,
    /** Where it happened and the values involved. */
    readonly context: ElfErrorContext = {},
  ) {
    super(formatMessage(problem, context));
  }

  /** True for an `ElfError` from any copy of this package (checks the brand, not `instanceof`). */
  static is(value: unknown): value is ElfError {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<symbol, unknown>)[bpfkitErrorBrand] === true &&
      (value as { name?: unknown }).name === 'ElfError'
    );
  }
}

function formatMessage(problem: string, context: ElfErrorContext): string {
  const where: string[] = [];
  if (context.object !== undefined) where.push(`object '${context.object}'`);
  if (context.section !== undefined) {
    const name = context.sectionName ? ` '${context.sectionName}'` : '';
    where.push(`section [${context.section}]${name}`);
  }
  if (context.entry !== undefined) where.push(`entry [${context.entry}]`);
  if (context.field !== undefined) where.push(context.field);
  if (context.offset !== undefined) where.push(`at byte 0x${context.offset.toString(16)}`);
  const found =
    context.expected !== undefined || context.actual !== undefined
      ? ` (expected ${context.expected ?? '?'}, got ${context.actual ?? '?'})`
      : '';
  return `${where.length > 0 ? `${where.join(' ')}: ` : ''}${problem}${found}`;
}
