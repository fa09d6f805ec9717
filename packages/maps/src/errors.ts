import { BpfkitError, type BpfkitErrorOptions, type ErrorPlace, foundValues } from '@bpfkit/errors';

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
  | 'not-found'
  | 'kernel-rule';

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

/** The error `@bpfkit/maps` throws: a code, a sentence naming the map, slot and target, and the same as {@link context}. */
export class MapError extends BpfkitError<MapErrorCode, MapErrorContext> {
  static override readonly errorName = 'MapError';

  constructor(
    /** What kind of problem this is. */
    code: MapErrorCode,
    /** The problem alone, without the location prefix of the message. */
    problem: string,
    /** Which map, slot and values are involved. */
    context: MapErrorContext = {},
    options: BpfkitErrorOptions = {},
  ) {
    super(code, problem, context, {
      ...options,
      places: mapPlaces(context),
      detail: context.differences === undefined ? foundValues(context.expected, context.actual) : '',
    });
  }
}

/** Where a map error happened, as every package naming a map or slot shows it. */
function mapPlaces(context: MapErrorContext): ErrorPlace[] {
  const places: ErrorPlace[] = [];
  if (context.object !== undefined) places.push({ kind: 'object', text: `object '${context.object}'` });
  if (context.map !== undefined) places.push({ kind: 'map', text: `map '${context.map}'` });
  if (context.slot !== undefined) places.push({ kind: 'slot', text: `slot [${context.slot}]` });
  return places;
}
