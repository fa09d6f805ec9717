import { BtfError } from './errors.js';
import { kindNames } from './kinds.js';
import type { Btf } from './spec.js';
import type { TypeRecords } from './type-records.js';
import type { BtfType } from './types.js';

/** How deep typedef/qualifier/array chains may go before they count as a cycle (libbpf uses 32). */
export const MAX_RESOLVE_DEPTH = 32;

/** Size of a pointer in BPF programs. */
export const POINTER_SIZE = 8;

const qualifiers = new Set(['const', 'volatile', 'restrict', 'type_tag']);

function cycle(btf: Btf, start: number, what: string): never {
  throw new BtfError('reference-cycle', `${what} does not end after ${MAX_RESOLVE_DEPTH} steps`, {
    ...(btf.name === undefined ? {} : { object: btf.name }),
    typeId: start,
    kind: btf.kindOf(start),
  });
}

/** Follows const, volatile, restrict and type tags (not typedefs) to the type underneath. */
export function skipQualifiers(btf: Btf, id: number): BtfType {
  let type = btf.type(id);
  for (let depth = 0; qualifiers.has(type.kind); depth++) {
    if (depth >= MAX_RESOLVE_DEPTH) cycle(btf, id, 'qualifier chain');
    type = btf.type((type as { type: number }).type);
  }
  return type;
}

/** Follows typedefs and qualifiers to the concrete type underneath. */
export function resolveType(btf: Btf, id: number): BtfType {
  return btf.type(resolvedId(btf, id));
}

/** {@link resolveType}'s answer as a type id, read from the records without decoding a type. */
export function resolvedId(btf: Btf, id: number): number {
  const r = btf.records();
  let at = id;
  for (let depth = 0; isTypedefOrQualifier(r.kind(at)); depth++) {
    if (depth >= MAX_RESOLVE_DEPTH) cycle(btf, id, 'typedef and qualifier chain');
    at = r.sizeOrType(at);
  }
  return at;
}

/** True for TYPEDEF, VOLATILE, CONST, RESTRICT and TYPE_TAG kind numbers. */
function isTypedefOrQualifier(kind: number): boolean {
  return (kind >= 8 /* TYPEDEF */ && kind <= 11) /* RESTRICT */ || kind === 18; /* TYPE_TAG */
}

function noSuch(btf: Btf, id: number, kind: number, what: string): never {
  throw new BtfError('bad-record', `a ${kindNames[kind]} has no ${what}`, {
    ...(btf.name === undefined ? {} : { object: btf.name }),
    typeId: id,
    kind: kindNames[kind] as string,
  });
}

/**
 * Size in bytes of type `id`, following typedefs, qualifiers, vars and arrays.
 * @throws {@link BtfError} `bad-record` for types without a size (void, functions, forward
 * declarations) and `reference-cycle` for chains that never end.
 */
export function sizeOf(btf: Btf, id: number): number {
  const r = btf.records();
  let multiplier = 1;
  let at = id;
  for (let depth = 0; ; depth++) {
    if (depth > MAX_RESOLVE_DEPTH) cycle(btf, id, 'size computation');
    const kind = r.kind(at);
    switch (kind) {
      case 1 /* INT */:
      case 6 /* ENUM */:
      case 19 /* ENUM64 */:
      case 4 /* STRUCT */:
      case 5 /* UNION */:
      case 16 /* FLOAT */:
      case 15 /* DATASEC */:
        return multiplier * r.sizeOrType(at);
      case 2 /* PTR */:
        return multiplier * POINTER_SIZE;
      case 3 /* ARRAY */:
        {
          const array = r.entries(at);
          multiplier *= r.words[array + 2] as number;
          at = r.words[array] as number;
          break;
        }
      case 8 /* TYPEDEF */:
      case 9 /* VOLATILE */:
      case 10 /* CONST */:
      case 11 /* RESTRICT */:
      case 18 /* TYPE_TAG */:
      case 14 /* VAR */:
        at = r.sizeOrType(at);
        break;
      default:
        noSuch(btf, at, kind, 'size');
    }
  }
}

/** Where alignments worked out are kept between calls: a `Map`, or anything with its `get` and `set`. */
export interface AlignmentCache {
  /** The alignment of type `id`, if worked out. */
  get(id: number): number | undefined;
  /** Keeps the alignment of type `id`. */
  set(id: number, align: number): unknown;
}

/**
 * Alignment in bytes of type `id`, as C lays it out: scalars align to their size (at most 8),
 * arrays to their element, structs to their strictest member, or 1 when a member's offset
 * shows the struct is packed. Each type is worked out once per `cache` (pass one to share
 * it between calls), so types that reuse each other many times over stay linear.
 */
export function alignOf(btf: Btf, id: number, cache: AlignmentCache = new Map()): number {
  return alignAt(btf, btf.records(), id, 0, cache);
}

function alignAt(btf: Btf, r: TypeRecords, id: number, depth: number, cache: AlignmentCache): number {
  if (depth > MAX_RESOLVE_DEPTH) cycle(btf, id, 'alignment computation');
  const known = cache.get(id);
  if (known !== undefined) return known;
  const at = resolvedId(btf, id);
  const kind = r.kind(at);
  let align: number;
  switch (kind) {
    case 1 /* INT */:
    case 6 /* ENUM */:
    case 19 /* ENUM64 */:
    case 16 /* FLOAT */:
      align = Math.min(Math.max(r.sizeOrType(at), 1), POINTER_SIZE);
      break;
    case 2 /* PTR */:
      align = POINTER_SIZE;
      break;
    case 3 /* ARRAY */:
      align = alignAt(btf, r, r.words[r.entries(at)] as number, depth + 1, cache);
      break;
    case 14 /* VAR */:
      align = alignAt(btf, r, r.sizeOrType(at), depth + 1, cache);
      break;
    case 4 /* STRUCT */:
    case 5 /* UNION */:
      align = compositeAlign(btf, r, at, depth, cache);
      break;
    default:
      noSuch(btf, at, kind, 'alignment');
  }
  cache.set(id, align);
  return align;
}

function compositeAlign(btf: Btf, r: TypeRecords, id: number, depth: number, cache: AlignmentCache): number {
  const words = r.words;
  const bitfields = r.kindFlag(id);
  let align = 1;
  const first = r.entries(id);
  const end = first + 3 * r.vlen(id);
  for (let w = first; w < end; w += 3) {
    const memberAlign = alignAt(btf, r, words[w + 1] as number, depth + 1, cache);
    const offset = words[w + 2] as number;
    const bitfieldSize = bitfields ? offset >>> 24 : 0;
    const bitOffset = bitfields ? offset & 0xffffff : offset;
    if (bitfieldSize === 0 && bitOffset % (8 * memberAlign) !== 0) return 1;
    align = Math.max(align, memberAlign);
  }
  return r.sizeOrType(id) % align !== 0 ? 1 : align;
}
