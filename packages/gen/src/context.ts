import { type Btf, type BtfMember, type BtfType, formatCDeclaration, resolveType } from '@bpfkit/btf';
import type { Declarations } from './declarations.js';
import { GenError } from './errors.js';

/** What every emitter needs: the BTF, the declarations and their names, and the byte order of the object. */
export interface EmitContext {
  readonly btf: Btf;
  readonly declarations: Declarations;
  /** The object's byte order, written into every generated read and write. */
  readonly littleEndian: boolean;
  /** The object's name, for errors. */
  readonly object?: string;
}

/** A char array decodes as a string (as the BTF codec does): elements of 1 byte, `char` or CHAR-encoded. */
export function isCharType(t: BtfType): boolean {
  return t.kind === 'int' && t.size === 1 && ((t.encoding & 2) !== 0 || t.name === 'char');
}

/** The property name of member `index`: its C name, or `_<index>` for an anonymous member (as the BTF codec names it). */
export function memberName(member: BtfMember, index: number): string {
  return member.name === '' ? `_${index}` : member.name;
}

const identifier = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** A single-quoted JavaScript string literal. */
export function quote(text: string): string {
  return `'${text.replace(/[\\']/g, (ch) => `\\${ch}`).replace(/\n/g, '\\n')}'`;
}

/** A property key as written in an interface or object literal (quoted unless a plain identifier; `__proto__` computed). */
export function propertyKey(name: string): string {
  if (name === '__proto__') return `['__proto__']`;
  return identifier.test(name) ? name : quote(name);
}

/** A property access on `object` (`x.pid`, `x["a.b"]`). */
export function propertyAccess(object: string, name: string): string {
  return identifier.test(name) && name !== '__proto__' ? `${object}.${name}` : `${object}[${quote(name)}]`;
}

/** The C spelling of a declaration of `name` with type `id`, for doc comments (`u32 pid`, `char comm[16]`). */
export function cDeclaration(c: EmitContext, id: number, name: string): string {
  const text = formatCDeclaration(c.btf, id, name).replace(/\s+/g, ' ').replace(/\*\//g, '* /');
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** The concrete type under typedefs and qualifiers, refusing types that have no value. */
export function valueType(c: EmitContext, id: number): BtfType {
  const t = resolveType(c.btf, id);
  switch (t.kind) {
    case 'float':
      if (t.size === 4 || t.size === 8) return t;
      break;
    case 'int':
    case 'enum':
    case 'enum64':
    case 'ptr':
    case 'array':
    case 'struct':
    case 'union':
      return t;
    default:
      break;
  }
  throw new GenError('unsupported-type', `a ${t.kind}${t.kind === 'float' ? ` of ${t.size} bytes` : ''} has no value`, {
    ...(c.object === undefined ? {} : { object: c.object }),
    typeId: t.id,
    field: c.btf.nameOf(id) || `[${id}]`,
  });
}

/** True when a C integer of `size` bytes decodes to a `bigint` (past 32 bits, as the BTF codec does). */
export function isWide(size: number): boolean {
  return size > 4;
}
