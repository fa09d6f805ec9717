import { type Btf, resolveType } from '@bpfkit/btf';
import { sameEssentialName } from './spec.js';

/**
 * libbpf's field compatibility: pointers and floats always match, composites match any
 * composite, enums and forwards by essential name (or when one is anonymous), integers
 * unless one is an old-style bitfield, arrays by their elements.
 */
export function fieldsCompatible(local: Btf, localId: number, target: Btf, targetId: number, depth = 0): boolean {
  if (depth > 32) return false;
  const l = resolveType(local, localId);
  const t = resolveType(target, targetId);
  const composite = (k: string) => k === 'struct' || k === 'union';
  if (composite(l.kind) && composite(t.kind)) return true;
  const enumish = (k: string) => k === 'enum' || k === 'enum64';
  if (enumish(l.kind) && enumish(t.kind)) return l.name === '' || t.name === '' || sameEssentialName(l.name, t.name);
  if (l.kind !== t.kind) return false;
  switch (l.kind) {
    case 'ptr':
    case 'float':
      return true;
    case 'fwd':
      return l.name === '' || t.name === '' || sameEssentialName(l.name, t.name);
    case 'int':
      return t.kind === 'int' && l.bitOffset === 0 && t.bitOffset === 0;
    case 'array':
      return t.kind === 'array' && fieldsCompatible(local, l.type, target, t.type, depth + 1);
    default:
      return false;
  }
}

/**
 * libbpf's type compatibility (TYPE_EXISTS, TYPE_SIZE, TYPE_ID_TARGET): the same kind after
 * typedefs and qualifiers, recursing through pointers, arrays and function prototypes.
 */
export function typesCompatible(local: Btf, localId: number, target: Btf, targetId: number, depth = 0): boolean {
  if (depth > 32) return false;
  const l = resolveType(local, localId);
  const t = resolveType(target, targetId);
  const enumish = (k: string) => k === 'enum' || k === 'enum64';
  if (enumish(l.kind) && enumish(t.kind)) return true;
  if (l.kind !== t.kind) return false;
  switch (l.kind) {
    case 'ptr':
      return t.kind === 'ptr' && typesCompatible(local, l.type, target, t.type, depth + 1);
    case 'array':
      return t.kind === 'array' && typesCompatible(local, l.type, target, t.type, depth + 1);
    case 'func_proto': {
      if (t.kind !== 'func_proto' || l.params.length !== t.params.length) return false;
      if (!typesCompatible(local, l.returnType, target, t.returnType, depth + 1)) return false;
      return l.params.every((p, i) =>
        typesCompatible(local, p.type, target, (t.params[i] as { type: number }).type, depth + 1),
      );
    }
    default:
      return true;
  }
}

/**
 * TYPE_MATCHES, stricter than compatibility: integers of the same size and signedness,
 * enums sharing every local enumerator name, composites whose every local member exists by
 * name with a matching type.
 */
export function typesMatch(local: Btf, localId: number, target: Btf, targetId: number, depth = 0): boolean {
  if (depth > 32) return false;
  const l = resolveType(local, localId);
  const t = resolveType(target, targetId);
  if (l.kind === 'int' && t.kind === 'int') return l.size === t.size && (l.encoding & 1) === (t.encoding & 1);
  if ((l.kind === 'enum' || l.kind === 'enum64') && (t.kind === 'enum' || t.kind === 'enum64')) {
    return l.values.every((v) => t.values.some((tv) => sameEssentialName(v.name, tv.name)));
  }
  if ((l.kind === 'struct' || l.kind === 'union') && t.kind === l.kind) {
    return l.members.every((m) => {
      const tm = t.members.find((x) => x.name === m.name);
      return (
        tm !== undefined && m.bitfieldSize === tm.bitfieldSize && typesMatch(local, m.type, target, tm.type, depth + 1)
      );
    });
  }
  if (l.kind === 'ptr' && t.kind === 'ptr') return typesMatch(local, l.type, target, t.type, depth + 1);
  if (l.kind === 'array' && t.kind === 'array')
    return l.length === t.length && typesMatch(local, l.type, target, t.type, depth + 1);
  return typesCompatible(local, l.id, target, t.id, depth + 1);
}
