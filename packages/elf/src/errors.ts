import { BpfkitError, type BpfkitErrorOptions, type ErrorPlace, foundValues } from '@bpfkit/errors';

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

/**
 * The only error `@bpfkit/elf` throws on bad input: a code, a sentence naming the
 * field, byte offset and expectation, and the same facts as structured {@link context}.
 */
export class ElfError extends BpfkitError<ElfErrorCode, ElfErrorContext> {
  static override readonly errorName = 'ElfError';

  constructor(
    /** What kind of problem this is. */
    code: ElfErrorCode,
    /** The problem alone, without the location prefix of the message. */
    problem: string,
    /** Where it happened and the values involved. */
    context: ElfErrorContext = {},
    options: BpfkitErrorOptions = {},
  ) {
    super(code, problem, context, {
      ...options,
      places: elfPlaces(context),
      detail: foundValues(context.expected, context.actual),
    });
  }
}

function elfPlaces(context: ElfErrorContext): ErrorPlace[] {
  const places: ErrorPlace[] = [];
  if (context.object !== undefined) places.push({ kind: 'object', text: `object '${context.object}'` });
  if (context.section !== undefined) {
    const name = context.sectionName ? ` '${context.sectionName}'` : '';
    places.push({ kind: 'section', text: `section [${context.section}]${name}` });
  }
  if (context.entry !== undefined) places.push({ kind: 'entry', text: `entry [${context.entry}]` });
  const at = [
    ...(context.field === undefined ? [] : [context.field]),
    ...(context.offset === undefined ? [] : [`at byte 0x${context.offset.toString(16)}`]),
  ];
  if (at.length > 0) places.push({ kind: 'offset', text: at.join(' ') });
  return places;
}
