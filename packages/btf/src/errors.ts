/** Reasons BTF input is refused; stable strings callers can switch on. */
export type BtfErrorCode =
  | 'truncated'
  | 'bad-magic'
  | 'bad-version'
  | 'bad-header'
  | 'bad-kind'
  | 'bad-type-id'
  | 'bad-string'
  | 'bad-record'
  | 'reference-cycle'
  | 'too-deep'
  | 'too-large'
  | 'bad-ext'
  | 'bad-fixup'
  | 'not-found';

/** Where in the BTF an error happened and what was found; JSON-safe. */
export interface BtfErrorContext {
  /** Name of the object or file the BTF came from. */
  readonly object?: string;
  /** `.BTF`, `.BTF.ext` or the ELF section a `.BTF.ext` record belongs to. */
  readonly section?: string;
  /** The type id involved. */
  readonly typeId?: number;
  /** The kind of that type (`struct`, `int`, …). */
  readonly kind?: string;
  /** The field or member involved. */
  readonly field?: string;
  /** Byte offset from the start of the BTF (or BTF.ext) blob. */
  readonly offset?: number;
  /** What valid BTF has there. */
  readonly expected?: string | number;
  /** What this BTF has there. */
  readonly actual?: string | number;
}

const bpfkitErrorBrand = Symbol.for('@bpfkit/error');

/**
 * The only error `@bpfkit/btf` throws on bad input: a code, a sentence naming the type id,
 * kind and byte offset, and the same facts as structured {@link context}.
 */
export class BtfError extends Error {
  /** Marks every bpfkit error, so guards work across duplicated module copies. */
  readonly [bpfkitErrorBrand] = true;
  /** Always `BtfError`. */
  override readonly name = 'BtfError';

  constructor(
    /** What kind of problem this is. */
    readonly code: BtfErrorCode,
    /** The problem alone, without the location prefix of {@link message}. */
    readonly problem: string,
    /** Where it happened and the values involved. */
    readonly context: BtfErrorContext = {},
    options?: { cause?: unknown },
  ) {
    super(formatMessage(problem, context), options);
  }

  /** True for a `BtfError` from any copy of this package (checks the brand, not `instanceof`). */
  static is(value: unknown): value is BtfError {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<symbol, unknown>)[bpfkitErrorBrand] === true &&
      (value as { name?: unknown }).name === 'BtfError'
    );
  }
}

function formatMessage(problem: string, context: BtfErrorContext): string {
  const where: string[] = [];
  if (context.object !== undefined) where.push(`object '${context.object}'`);
  if (context.section !== undefined) where.push(`section '${context.section}'`);
  if (context.typeId !== undefined) where.push(`type [${context.typeId}]${context.kind ? ` ${context.kind}` : ''}`);
  if (context.field !== undefined) where.push(context.field);
  if (context.offset !== undefined) where.push(`at byte 0x${context.offset.toString(16)}`);
  const found =
    context.expected !== undefined || context.actual !== undefined
      ? ` (expected ${context.expected ?? '?'}, got ${context.actual ?? '?'})`
      : '';
  return `${where.length > 0 ? `${where.join(' ')}: ` : ''}${problem}${found}`;
}
