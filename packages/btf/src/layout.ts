import { BtfError } from './errors.js';
import type { Btf } from './spec.js';
import type { BtfMember, BtfType } from './types.js';

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
  let type = btf.type(id);
  for (let depth = 0; type.kind === 'typedef' || qualifiers.has(type.kind); depth++) {
    if (depth >= MAX_RESOLVE_DEPTH) cycle(btf, id, 'typedef and qualifier chain');
    type = btf.type((type as { type: number }).type);
  }
  return type;
}

/**
 * Size in bytes of type `id`, following typedefs, qualifiers, vars and arrays.
 * @throws {@link BtfError} `bad-record` for types without a size (void, functions, forward
 * declarations) and `reference-cycle` for chains that never end.
 */
export function sizeOf(btf: Btf, id: number): number {
  let multiplier = 1;
  let type = btf.type(id);
  for (let depth = 0; ; depth++) {
    if (depth > MAX_RESOLVE_DEPTH) cycle(btf, id, 'size computation');
    switch (type.kind) {
      case 'int':
      case 'enum':
      case 'enum64':
      case 'struct':
      case 'union':
      case 'float':
      case 'datasec':
        return multiplier * type.size;
      case 'ptr':
        return multiplier * POINTER_SIZE;
      case 'array':
        multiplier *= type.length;
        type = btf.type(type.type);
        break;
      case 'typedef':
      case 'const':
      case 'volatile':
      case 'restrict':
      case 'type_tag':
      case 'var':
        type = btf.type(type.type);
        break;
      default:
        throw new BtfError('bad-record', `a ${type.kind} has no size`, {
          ...(btf.name === undefined ? {} : { object: btf.name }),
          typeId: type.id,
          kind: type.kind,
        });
    }
  }
}

/**
 * Alignment in bytes of type `id`, as C lays it out: scalars align to their size (at most 8),
 * arrays to their element, structs to their strictest member, or 1 when a member's offset
 * shows the struct is packed. Each type is worked out once per `cache` (pass one to share
 * it between calls), so types that reuse each other many times over stay linear.
 */
export function alignOf(btf: Btf, id: number, cache: Map<number, number> = new Map()): number {
  return alignAt(btf, id, 0, cache);
}

function alignAt(btf: Btf, id: number, depth: number, cache: Map<number, number>): number {
  if (depth > MAX_RESOLVE_DEPTH) cycle(btf, id, 'alignment computation');
  const known = cache.get(id);
  if (known !== undefined) return known;
  const type = resolveType(btf, id);
  let align: number;
  switch (type.kind) {
    case 'int':
    case 'enum':
    case 'enum64':
    case 'float':
      align = Math.min(Math.max(type.size, 1), POINTER_SIZE);
      break;
    case 'ptr':
      align = POINTER_SIZE;
      break;
    case 'array':
    case 'var':
      align = alignAt(btf, type.type, depth + 1, cache);
      break;
    case 'struct':
    case 'union':
      align = compositeAlign(btf, type.members, type.size, depth, cache);
      break;
    default:
      throw new BtfError('bad-record', `a ${type.kind} has no alignment`, {
        ...(btf.name === undefined ? {} : { object: btf.name }),
        typeId: type.id,
        kind: type.kind,
      });
  }
  cache.set(id, align);
  return align;
}

function compositeAlign(
  btf: Btf,
  members: readonly BtfMember[],
  size: number,
  depth: number,
  cache: Map<number, number>,
): number {
  let align = 1;
  for (const member of members) {
    const memberAlign = alignAt(btf, member.type, depth + 1, cache);
    if (member.bitfieldSize === 0 && member.bitOffset % (8 * memberAlign) !== 0) return 1;
    align = Math.max(align, memberAlign);
  }
  return size % align !== 0 ? 1 : align;
}
