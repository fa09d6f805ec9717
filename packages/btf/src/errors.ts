import { BpfkitError, type BpfkitErrorOptions, type ErrorPlace, foundValues } from '@bpfkit/errors';

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

/**
 * The only error `@bpfkit/btf` throws on bad input: a code, a sentence naming the type id,
 * kind and byte offset, and the same facts as structured {@link context}.
 */
export class BtfError extends BpfkitError<BtfErrorCode, BtfErrorContext> {
  static override readonly errorName = 'BtfError';

  constructor(
    /** What kind of problem this is. */
    code: BtfErrorCode,
    /** The problem alone, without the location prefix of the message. */
    problem: string,
    /** Where it happened and the values involved. */
    context: BtfErrorContext = {},
    options: BpfkitErrorOptions = {},
  ) {
    super(code, problem, context, {
      ...options,
      places: btfPlaces(context),
      detail: foundValues(context.expected, context.actual),
    });
  }
}

function btfPlaces(context: BtfErrorContext): ErrorPlace[] {
  const places: ErrorPlace[] = [];
  if (context.object !== undefined) places.push({ kind: 'object', text: `object '${context.object}'` });
  if (context.section !== undefined) places.push({ kind: 'section', text: `section '${context.section}'` });
  const at = [
    ...(context.typeId === undefined ? [] : [`type [${context.typeId}]${context.kind ? ` ${context.kind}` : ''}`]),
    ...(context.field === undefined ? [] : [context.field]),
    ...(context.offset === undefined ? [] : [`at byte 0x${context.offset.toString(16)}`]),
  ];
  if (at.length > 0) places.push({ kind: 'type', text: at.join(' ') });
  return places;
}
