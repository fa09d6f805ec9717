/** Reasons map definitions are refused; stable strings callers can switch on. */
export type MapErrorCode =
  | 'missing-btf'
  | 'bad-definition'
  | 'unknown-attribute'
  | 'conflicting-size'
  | 'missing-type'
  | 'unsupported-linkage'
  | 'bad-values'
  | 'inner-pinned'
  | 'nested-inner'
  | 'bad-pinning'
  | 'bad-slot-relocation'
  | 'slot-not-a-map'
  | 'slot-not-a-program'
  | 'slot-out-of-range'
  | 'slot-nested'
  | 'slot-mismatch'
  | 'no-inner-definition'
  | 'bad-legacy-map'
  | 'bad-constant'
  | 'pin-mismatch'
  | 'bad-name'
  | 'not-found';

/** One field that differs between two map definitions. */
export interface MapDifference {
  /** The attribute, as libbpf names it (`value_size`, `max_entries`, …). */
  readonly field: string;
  /** Its value in the definition that sets the rule (inner definition, our spec). */
  readonly expected: number | string;
  /** Its value in the definition checked against it (slot target, pinned map). */
  readonly actual: number | string;
}

/** Which map, slot and target an error is about; JSON-safe. */
export interface MapErrorContext {
  /** The object the maps come from. */
  readonly object?: string;
  /** ELF section involved (`.maps`, `.rel.maps`, `maps`, `.rodata`…). */
  readonly section?: string;
  /** The map whose definition is wrong (the outer map, for slot problems). */
  readonly map?: string;
  /** Slot index, for slot problems. */
  readonly slot?: number;
  /** What the slot points at: a map or program name. */
  readonly target?: string;
  /** The definition attribute involved. */
  readonly field?: string;
  /** Byte offset inside the section. */
  readonly offset?: number;
  /** What a valid definition has. */
  readonly expected?: number | string;
  /** What this one has. */
  readonly actual?: number | string;
  /** Every differing field, for mismatches. */
  readonly differences?: readonly MapDifference[];
}

const bpfkitErrorBrand = Symbol.for('@bpfkit/error');

/** The error `@bpfkit/maps` throws: a code, a sentence naming the map, slot and target, and the same as {@link context}. */
export class MapError extends Error {
  /** Marks every bpfkit error, so guards work across duplicated module copies. */
  readonly [bpfkitErrorBrand] = true;
  /** Always `MapError`. */
  override readonly name = 'MapError';

  constructor(
    /** What kind of problem this is. */
    readonly code: MapErrorCode,
    /** The problem alone, without the location prefix of {@link message}. */
    readonly problem: string,
    /** Which map, slot and values are involved. */
    readonly context: MapErrorContext = {},
    options?: { cause?: unknown },
  ) {
    super(formatMessage(problem, context), options);
  }

  /** True for a `MapError` from any copy of this package (checks the brand, not `instanceof`). */
  static is(value: unknown): value is MapError {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<symbol, unknown>)[bpfkitErrorBrand] === true &&
      (value as { name?: unknown }).name === 'MapError'
    );
  }
}

function formatMessage(problem: string, context: MapErrorContext): string {
  const where: string[] = [];
  if (context.object !== undefined) where.push(`object '${context.object}'`);
  if (context.map !== undefined) where.push(`map '${context.map}'`);
  if (context.slot !== undefined) where.push(`slot [${context.slot}]`);
  const prefix = where.length > 0 ? `${where.join(': ')}: ` : '';
  const found =
    context.differences === undefined && (context.expected !== undefined || context.actual !== undefined)
      ? ` (expected ${context.expected ?? '?'}, got ${context.actual ?? '?'})`
      : '';
  return `${prefix}${problem}${found}`;
}
