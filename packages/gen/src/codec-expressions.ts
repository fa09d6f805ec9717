import { type BtfType, resolveType, sizeOf } from '@bpfkit/btf';
import { type EmitContext, isCharType, memberName, propertyAccess, propertyKey, quote, valueType } from './context.js';
import { declarationOf, MAX_TUPLE_LENGTH, typeExpression } from './type-expressions.js';

/** A byte position in generated code: a variable (`at`) plus a constant. */
export interface Position {
  readonly base: string;
  readonly offset: number;
}

/** The position as an expression (`at`, `at + 12`, or `12` when the base is `0`). */
export function positionText(p: Position): string {
  if (p.base === '0') return String(p.offset);
  return p.offset === 0 ? p.base : `${p.base} + ${p.offset}`;
}

const at = (p: Position, delta: number): Position => ({ base: p.base, offset: p.offset + delta });

/** The declaration whose codec reads and writes `id` (a named struct or union, or a typedef of one). */
export function codecName(c: EmitContext, id: number): string | undefined {
  const declaration = declarationOf(c, id);
  if (declaration === undefined) return undefined;
  const target = resolveType(c.btf, declaration.target);
  return target.kind === 'struct' || target.kind === 'union' ? declaration.name : undefined;
}

function intAccessor(size: number, signed: boolean): string | undefined {
  switch (size) {
    case 1:
      return signed ? 'Int8' : 'Uint8';
    case 2:
      return signed ? 'Int16' : 'Uint16';
    case 4:
      return signed ? 'Int32' : 'Uint32';
    case 8:
      return signed ? 'BigInt64' : 'BigUint64';
    default:
      return undefined;
  }
}

/** The size and signedness of an integer, enum or pointer type (undefined for others). */
export const integerOf = (t: BtfType): { size: number; signed: boolean } | undefined =>
  t.kind === 'int'
    ? { size: t.size, signed: (t.encoding & 1) !== 0 }
    : t.kind === 'enum' || t.kind === 'enum64'
      ? { size: t.size, signed: t.signed }
      : t.kind === 'ptr'
        ? { size: 8, signed: false }
        : undefined;

/**
 * An expression reading a value of type `id` at `p` from the DataView `v`, as the BTF codec
 * decodes it; a declared type is read through its codec unless `own` (the codec's own body).
 */
export function readExpression(c: EmitContext, id: number, p: Position, indent: string, own = false): string {
  const named = own ? undefined : codecName(c, id);
  if (named !== undefined) return `${named}.read(v, ${positionText(p)})`;
  const t = valueType(c, id);
  const le = String(c.littleEndian);
  const pos = positionText(p);
  switch (t.kind) {
    case 'float':
      return `v.getFloat${t.size * 8}(${pos}, ${le})`;
    case 'array': {
      const element = resolveType(c.btf, t.type);
      if (isCharType(element)) return `rt.readString(v, ${pos}, ${t.length})`;
      if (t.length === 0) return '[]';
      const step = sizeOf(c.btf, t.type);
      if (t.length <= MAX_TUPLE_LENGTH)
        return `[${Array.from({ length: t.length }, (_, i) => readExpression(c, t.type, at(p, i * step), indent)).join(', ')}]`;
      const elementCodec = codecName(c, t.type);
      const reader =
        elementCodec === undefined
          ? `(v, at) => ${readExpression(c, t.type, { base: 'at', offset: 0 }, indent)}`
          : `${elementCodec}.read`;
      return `rt.readArray(v, ${pos}, ${t.length}, ${step}, ${reader})`;
    }
    case 'struct':
    case 'union': {
      const inner = `${indent}  `;
      const members = t.members.map((m, i) => {
        const key = propertyKey(memberName(m, i));
        if (m.bitfieldSize === 0) return `${inner}${key}: ${readExpression(c, m.type, at(p, m.bitOffset / 8), inner)},`;
        const signed = integerOf(resolveType(c.btf, m.type))?.signed ?? false;
        const bits = `rt.readBits(v, ${pos}, ${m.bitOffset}, ${m.bitfieldSize}, ${le}, ${signed})`;
        return `${inner}${key}: ${m.bitfieldSize > 32 ? bits : `Number(${bits})`},`;
      });
      return members.length === 0 ? '{}' : `{\n${members.join('\n')}\n${indent}}`;
    }
    default: {
      const int = integerOf(t) as { size: number; signed: boolean };
      if (t.kind === 'int' && (t.encoding & 4) !== 0) return `v.getUint8(${pos}) !== 0`;
      const accessor = intAccessor(int.size, int.signed);
      const read =
        accessor === undefined
          ? `rt.readWide(v, ${pos}, ${int.size}, ${int.signed}, ${le})`
          : int.size === 1
            ? `v.get${accessor}(${pos})`
            : `v.get${accessor}(${pos}, ${le})`;
      // An enum read is asserted to be one of its values (the kernel may hold another).
      return t.kind === 'enum' || t.kind === 'enum64' ? `(${read} as ${typeExpression(c, id)})` : read;
    }
  }
}

/**
 * Statements writing `value` (an expression) of type `id` at `p` into `v`, over what is
 * there (the fill of a codec), as the BTF codec encodes it; `field` names it in errors. A
 * declared type is written through its codec unless `own` (the codec's own body). `fieldName`
 * turns a member path into the expression errors name it by (a string literal by default).
 */
export function fillStatements(
  c: EmitContext,
  id: number,
  p: Position,
  value: string,
  field: string,
  indent: string,
  depth = 0,
  own = false,
  fieldName: (field: string) => string = quote,
): string[] {
  const named = own ? undefined : codecName(c, id);
  const pos = positionText(p);
  if (named !== undefined) return [`${indent}${named}.fill(v, ${pos}, ${value});`];
  const t = valueType(c, id);
  const le = String(c.littleEndian);
  const name = fieldName(field);
  switch (t.kind) {
    case 'float':
      return [`${indent}v.setFloat${t.size * 8}(${pos}, rt.float(${value}, ${name}), ${le});`];
    case 'array': {
      if (isCharType(resolveType(c.btf, t.type)))
        return [`${indent}rt.writeString(v, ${pos}, ${t.length}, ${value}, ${name});`];
      const step = sizeOf(c.btf, t.type);
      const elementCodec = codecName(c, t.type);
      const x = `x${depth + 1}`;
      const writer =
        elementCodec === undefined
          ? `(v, at, ${x}) => {\n${fillStatements(c, t.type, { base: 'at', offset: 0 }, x, `${field}[]`, `${indent}  `, depth + 1, false, fieldName).join('\n')}\n${indent}}`
          : `${elementCodec}.fill`;
      return [`${indent}rt.writeArray(v, ${pos}, ${t.length}, ${step}, ${value}, ${writer}, ${name});`];
    }
    case 'struct':
    case 'union': {
      const x = `x${depth + 1}`;
      const inner = `${indent}  `;
      if (t.members.length === 0) return [`${indent}rt.object(${value}, ${name});`];
      const lines = [`${indent}{`, `${inner}const ${x} = rt.object(${value}, ${name});`];
      t.members.forEach((m, i) => {
        const key = memberName(m, i);
        const member = propertyAccess(x, key);
        const path = field === '' ? key : `${field}.${key}`;
        if (m.bitfieldSize > 0) {
          const signed = integerOf(resolveType(c.btf, m.type))?.signed ?? false;
          lines.push(
            `${inner}if (${member} !== undefined) rt.writeBits(v, ${pos}, ${m.bitOffset}, ${m.bitfieldSize}, ${le}, rt.bitsValue(${member}, ${m.bitfieldSize}, ${signed}, ${fieldName(path)}));`,
          );
          return;
        }
        const body = fillStatements(
          c,
          m.type,
          at(p, m.bitOffset / 8),
          member,
          path,
          `${inner}  `,
          depth + 1,
          false,
          fieldName,
        );
        if (body.length === 1 && !(body[0] as string).includes('\n'))
          lines.push(`${inner}if (${member} !== undefined) ${(body[0] as string).trimStart()}`);
        else lines.push(`${inner}if (${member} !== undefined) {`, ...body, `${inner}}`);
      });
      lines.push(`${indent}}`);
      return lines;
    }
    default: {
      const int = integerOf(t) as { size: number; signed: boolean };
      if (t.kind === 'int' && (t.encoding & 4) !== 0) return [`${indent}v.setUint8(${pos}, ${value} ? 1 : 0);`];
      const accessor = intAccessor(int.size, int.signed);
      const bits = int.size * 8;
      if (accessor === undefined)
        return [
          `${indent}rt.writeWide(v, ${pos}, ${int.size}, rt.bigint(${value}, ${bits}, ${int.signed}, ${name}), ${le});`,
        ];
      const checked =
        int.size === 8
          ? `rt.bigint(${value}, 64, ${int.signed}, ${name})`
          : `rt.int(${value}, ${bits}, ${int.signed}, ${name})`;
      return [`${indent}v.set${accessor}(${pos}, ${checked}${int.size === 1 ? '' : `, ${le}`});`];
    }
  }
}

/**
 * Statements assigning `value` to a value of type `id` at `p` of `v`, as a whole and all or
 * nothing: a number is checked then written by one DataView call, text is checked then
 * written with its NUL and zeros after it, and anything else is written into zeroed scratch
 * bytes first and copied only once it all fitted (a value that does not fit leaves the
 * memory, often the kernel's, as it was).
 */
export function assignStatements(
  c: EmitContext,
  id: number,
  p: Position,
  value: string,
  field: string,
  indent: string,
  fieldName: (field: string) => string = quote,
): string[] {
  const t = resolveType(c.btf, id);
  const scalar = t.kind === 'int' || t.kind === 'enum' || t.kind === 'enum64' || t.kind === 'ptr' || t.kind === 'float';
  const text = t.kind === 'array' && isCharType(resolveType(c.btf, t.type));
  if (scalar || text) return fillStatements(c, id, p, value, field, indent, 0, false, fieldName);
  const scratch = { base: '0', offset: 0 };
  return [
    `${indent}rt.writeWhole(v, ${positionText(p)}, ${sizeOf(c.btf, id)}, (v) => {`,
    ...fillStatements(c, id, scratch, value, field, `${indent}  `, 0, false, fieldName),
    `${indent}});`,
  ];
}
