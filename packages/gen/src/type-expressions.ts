import { type BtfType, resolveType } from '@bpfkit/btf';
import { cDeclaration, type EmitContext, isCharType, isWide, memberName, propertyKey, valueType } from './context.js';
import type { Declaration } from './declarations.js';

/** Arrays up to this length are typed as tuples (`[number, number]`), longer ones as `T[]`. */
export const MAX_TUPLE_LENGTH = 8;

/** The declaration `id` carries, following qualifiers and typedefs until one is declared. */
export function declarationOf(c: EmitContext, id: number): Declaration | undefined {
  for (let depth = 0, t = c.btf.type(id); depth < 64; depth++) {
    const declaration = c.declarations.byId.get(t.id);
    if (declaration !== undefined) return declaration;
    if (
      t.kind !== 'typedef' &&
      t.kind !== 'const' &&
      t.kind !== 'volatile' &&
      t.kind !== 'restrict' &&
      t.kind !== 'type_tag'
    )
      return undefined;
    t = c.btf.type(t.type);
  }
  return undefined;
}

/** The declaration name `id` carries, following qualifiers and typedefs until one has a name. */
export function declaredName(c: EmitContext, id: number): string | undefined {
  return declarationOf(c, id)?.name;
}

/** An enum's values in the signedness and width its size gives them: what a read of it returns. */
export function enumValues(t: Extract<BtfType, { kind: 'enum' | 'enum64' }>): { name: string; value: bigint }[] {
  const bits = t.size * 8;
  return t.values.map((v) => {
    const raw = BigInt(v.value);
    return { name: v.name, value: t.signed ? BigInt.asIntN(bits, raw) : BigInt.asUintN(bits, raw) };
  });
}

/** A value as a TypeScript literal: a number up to 32 bits, else a bigint. */
export function literal(value: bigint, size: number): string {
  return isWide(size) ? `${value}n` : String(value);
}

/**
 * The TypeScript type of a value of BTF type `id`, as the BTF codec decodes it: `number`
 * up to 32 bits, `bigint` past them and for pointers, `boolean` for `bool`, `string` for
 * char arrays, tuples or arrays, the declaration's name for named types, an inline object
 * type for anonymous structs and unions, a literal union for anonymous enums.
 */
export function typeExpression(c: EmitContext, id: number, indent = ''): string {
  const named = declaredName(c, id);
  if (named !== undefined) return named;
  const t = valueType(c, id);
  switch (t.kind) {
    case 'int':
      return (t.encoding & 4) !== 0 ? 'boolean' : isWide(t.size) ? 'bigint' : 'number';
    case 'enum':
    case 'enum64': {
      const values = [...new Set(enumValues(t).map((v) => literal(v.value, t.size)))];
      return values.length === 0 ? (isWide(t.size) ? 'bigint' : 'number') : values.join(' | ');
    }
    case 'ptr':
      return 'bigint';
    case 'float':
      return 'number';
    case 'array': {
      if (isCharType(resolveType(c.btf, t.type))) return 'string';
      const element = typeExpression(c, t.type, indent);
      if (t.length > 0 && t.length <= MAX_TUPLE_LENGTH) return `[${Array(t.length).fill(element).join(', ')}]`;
      return /^[A-Za-z0-9_$]+$/.test(element) ? `${element}[]` : `Array<${element}>`;
    }
    case 'struct':
    case 'union':
      return objectType(c, t, indent);
    default:
      return 'never';
  }
}

/** An interface body (or inline object type) for a struct or union: one documented property per member. */
export function objectType(c: EmitContext, t: Extract<BtfType, { kind: 'struct' | 'union' }>, indent: string): string {
  const inner = `${indent}  `;
  const lines = t.members.map((m, i) => {
    const where =
      m.bitfieldSize > 0 ? `bits ${m.bitOffset}..${m.bitOffset + m.bitfieldSize - 1}` : `offset ${m.bitOffset / 8}`;
    const c99 = `${cDeclaration(c, m.type, m.name)}${m.bitfieldSize > 0 ? `: ${m.bitfieldSize}` : ''}`;
    const flexible = isFlexible(c, m.type) ? ', flexible: the bytes past the struct are not read' : '';
    const type = m.bitfieldSize > 0 ? (m.bitfieldSize > 32 ? 'bigint' : 'number') : typeExpression(c, m.type, inner);
    return `${inner}/** \`${c99}\`, ${where}${flexible} */\n${inner}${propertyKey(memberName(m, i))}: ${type};`;
  });
  return lines.length === 0 ? '{}' : `{\n${lines.join('\n')}\n${indent}}`;
}

/** True for a zero-length array (a flexible array member). */
export function isFlexible(c: EmitContext, id: number): boolean {
  const t = resolveType(c.btf, id);
  return t.kind === 'array' && t.length === 0;
}
