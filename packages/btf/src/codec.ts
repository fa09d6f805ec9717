import { decodeUtf8 } from '@bpfkit/elf';
import { BtfError } from './errors.js';
import { MAX_RESOLVE_DEPTH, resolveType, sizeOf } from './layout.js';
import type { Btf } from './spec.js';
import type { BtfType } from './types.js';
import { encodeUtf8 } from './utf8.js';

/** A JavaScript value for a BTF-typed value: numbers (bigints past 32 bits), booleans, strings for char arrays, arrays and objects. */
export type BtfValue = number | bigint | boolean | string | BtfValue[] | { [member: string]: BtfValue };

/** Encodes and decodes values of one BTF type to and from bytes, in one byte order. */
export interface BtfCodec {
  /** Size in bytes of an encoded value. */
  readonly size: number;
  /** Reads a value from the start of `bytes`. */
  decode(bytes: Uint8Array): BtfValue;
  /** Writes `value` into a new buffer of {@link size} bytes. */
  encode(value: BtfValue): Uint8Array;
}

/** Largest value a codec handles: BTF sizes are 32-bit, and the kernel refuses arrays whose size overflows them. */
const MAX_VALUE_SIZE = 0xffffffff;

/** Values visited per call beyond one per byte, for zero-size members and elements (which take no bytes). */
const EXTRA_VALUES = 1 << 16;

/** Values a call may visit per byte of the value: every level of nesting may add one. */
const VALUES_PER_BYTE = MAX_RESOLVE_DEPTH;

interface Context {
  readonly btf: Btf;
  readonly le: boolean;
  readonly typeId: number;
  /** Structs, unions and DATASECs whose members were checked to lie inside them. */
  readonly checked: Set<number>;
}

/** One decode or encode: the composite types being walked (outermost first) and the values it may still visit. */
interface Walk {
  readonly path: Set<number>;
  budget: number;
}

const isChar = (t: BtfType) => t.kind === 'int' && t.size === 1 && ((t.encoding & 2) !== 0 || t.name === 'char');

function fail(c: Context, problem: string): never {
  throw new BtfError('bad-record', problem, where(c, c.typeId));
}

function where(c: Context, id: number): BtfError['context'] {
  return { ...(c.btf.name === undefined ? {} : { object: c.btf.name }), typeId: id, kind: c.btf.kindOf(id) };
}

function describe(t: BtfType): string {
  return `${t.kind} ${t.name === '' ? '(anon)' : `'${t.name}'`} [${t.id}]`;
}

/** Counts one visited value against the call's budget. */
function spend(c: Context, w: Walk, t: BtfType, values = 1): void {
  w.budget -= values;
  if (w.budget < 0) {
    throw new BtfError(
      'too-large',
      `the value has more parts than its size allows (at ${describe(t)}); its BTF is not one the kernel accepts`,
      where(c, c.typeId),
    );
  }
}

/**
 * Enters composite `t`: refuses a type that contains itself and nesting past the kernel's
 * depth, and checks once per type that every member lies inside it.
 */
function enter(c: Context, w: Walk, t: BtfType): void {
  if (w.path.has(t.id)) throw new BtfError('reference-cycle', `${describe(t)} contains itself`, where(c, t.id));
  if (w.path.size >= MAX_RESOLVE_DEPTH) {
    throw new BtfError(
      'too-deep',
      `values nest deeper than ${MAX_RESOLVE_DEPTH} levels at ${describe(t)}`,
      where(c, t.id),
    );
  }
  w.path.add(t.id);
  if (!c.checked.has(t.id)) {
    checkExtents(c, t);
    c.checked.add(t.id);
  }
}

/** Refuses a struct, union or DATASEC with a member that reaches past its end or starts inside a byte. */
function checkExtents(c: Context, t: BtfType): void {
  const outside = (field: string, end: string, size: number): never => {
    throw new BtfError('bad-record', `${field} of ${describe(t)} ends past its ${size} bytes`, {
      ...where(c, t.id),
      field,
      expected: `end ≤ ${size}`,
      actual: `end ${end}`,
    });
  };
  if (t.kind === 'struct' || t.kind === 'union') {
    t.members.forEach((m, i) => {
      const field = `member '${m.name || `_${i}`}'`;
      if (m.bitfieldSize > 0) {
        if (m.bitOffset + m.bitfieldSize > t.size * 8) outside(field, `bit ${m.bitOffset + m.bitfieldSize}`, t.size);
        return;
      }
      if (m.bitOffset % 8 !== 0) {
        throw new BtfError('bad-record', `${field} of ${describe(t)} starts inside a byte`, {
          ...where(c, t.id),
          field,
          expected: 'a multiple of 8 bits',
          actual: m.bitOffset,
        });
      }
      const end = m.bitOffset / 8 + sizeOf(c.btf, m.type);
      if (end > t.size) outside(field, String(end), t.size);
    });
  } else if (t.kind === 'datasec') {
    for (const v of t.vars) {
      const end = v.offset + sizeOf(c.btf, v.type);
      if (end > t.size) outside(`variable '${c.btf.nameOf(v.type)}'`, String(end), t.size);
    }
  }
}

function readInt(view: DataView, at: number, size: number, signed: boolean, le: boolean): number | bigint {
  switch (size) {
    case 1:
      return signed ? view.getInt8(at) : view.getUint8(at);
    case 2:
      return signed ? view.getInt16(at, le) : view.getUint16(at, le);
    case 4:
      return signed ? view.getInt32(at, le) : view.getUint32(at, le);
    case 8:
      return signed ? view.getBigInt64(at, le) : view.getBigUint64(at, le);
    default: {
      let value = 0n;
      for (let i = 0; i < size; i++) value |= BigInt(view.getUint8(at + (le ? i : size - 1 - i))) << BigInt(8 * i);
      return signed ? BigInt.asIntN(size * 8, value) : value;
    }
  }
}

function writeInt(view: DataView, at: number, size: number, value: bigint, le: boolean): void {
  const raw = BigInt.asUintN(size * 8, value);
  for (let i = 0; i < size; i++) view.setUint8(at + (le ? i : size - 1 - i), Number((raw >> BigInt(8 * i)) & 0xffn));
}

function asBigInt(value: BtfValue, c: Context): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (typeof value === 'boolean') return value ? 1n : 0n;
  return fail(c, `expected an integer, got ${typeof value === 'object' ? 'an object' : JSON.stringify(value)}`);
}

/** `value` when it fits `bits` bits of the given signedness; a value that would wrap is refused. */
function inRange(c: Context, value: bigint, bits: number, signed: boolean): bigint {
  const min = signed ? -(1n << BigInt(bits - 1)) : 0n;
  const max = signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
  if (value < min || value > max)
    fail(c, `${value} does not fit ${signed ? 'a signed' : 'an unsigned'} ${bits}-bit integer (${min} to ${max})`);
  return value;
}

/** A bitfield member's value, range-checked against its width and its type's signedness. */
function bitfieldValue(c: Context, typeId: number, bits: number, value: BtfValue): bigint {
  const member = resolveType(c.btf, typeId);
  const signed =
    (member.kind === 'int' && (member.encoding & 1) !== 0) ||
    ((member.kind === 'enum' || member.kind === 'enum64') && member.signed);
  return inRange(c, asBigInt(value, c), bits, signed);
}

function decodeAt(c: Context, w: Walk, id: number, view: DataView, at: number): BtfValue {
  const t = resolveType(c.btf, id);
  spend(c, w, t);
  switch (t.kind) {
    case 'int': {
      const signed = (t.encoding & 1) !== 0;
      if ((t.encoding & 4) !== 0) return view.getUint8(at) !== 0;
      return readInt(view, at, t.size, signed, c.le);
    }
    case 'enum':
    case 'enum64':
      return readInt(view, at, t.size, t.signed, c.le);
    case 'ptr':
      return view.getBigUint64(at, c.le);
    case 'float':
      return t.size === 4
        ? view.getFloat32(at, c.le)
        : t.size === 8
          ? view.getFloat64(at, c.le)
          : fail(c, `no codec for a ${t.size}-byte float`);
    case 'array': {
      const element = resolveType(c.btf, t.type);
      if (isChar(element)) {
        const bytes = new Uint8Array(view.buffer, view.byteOffset + at, t.length);
        const end = bytes.indexOf(0);
        return decodeUtf8(end < 0 ? bytes : bytes.subarray(0, end));
      }
      enter(c, w, t);
      spend(c, w, t, t.length);
      const step = sizeOf(c.btf, t.type);
      const out = Array.from({ length: t.length }, (_, i) => decodeAt(c, w, t.type, view, at + i * step));
      w.path.delete(t.id);
      return out;
    }
    case 'struct':
    case 'union': {
      enter(c, w, t);
      const out: { [member: string]: BtfValue } = {};
      t.members.forEach((m, i) => {
        const name = m.name === '' ? `_${i}` : m.name;
        if (m.bitfieldSize > 0) {
          const member = resolveType(c.btf, m.type);
          const bits = readBits(view, at, m.bitOffset, m.bitfieldSize, c.le);
          const signed =
            (member.kind === 'int' && (member.encoding & 1) !== 0) ||
            ((member.kind === 'enum' || member.kind === 'enum64') && member.signed);
          const value = signed ? BigInt.asIntN(m.bitfieldSize, bits) : bits;
          out[name] = m.bitfieldSize <= 32 ? Number(value) : value;
        } else {
          out[name] = decodeAt(c, w, m.type, view, at + m.bitOffset / 8);
        }
      });
      w.path.delete(t.id);
      return out;
    }
    case 'datasec': {
      enter(c, w, t);
      const out: { [variable: string]: BtfValue } = {};
      for (const v of t.vars) out[c.btf.nameOf(v.type)] = decodeAt(c, w, v.type, view, at + v.offset);
      w.path.delete(t.id);
      return out;
    }
    case 'var':
      return decodeAt(c, w, t.type, view, at);
    default:
      return fail(c, `no codec for a ${t.kind}`);
  }
}

function encodeAt(c: Context, w: Walk, id: number, view: DataView, at: number, value: BtfValue): void {
  const t = resolveType(c.btf, id);
  spend(c, w, t);
  switch (t.kind) {
    case 'int':
    case 'enum':
    case 'enum64': {
      const signed = t.kind === 'int' ? (t.encoding & 1) !== 0 : t.signed;
      writeInt(view, at, t.size, inRange(c, asBigInt(value, c), t.size * 8, signed), c.le);
      return;
    }
    case 'ptr':
      view.setBigUint64(at, inRange(c, asBigInt(value, c), 64, false), c.le);
      return;
    case 'float':
      if (typeof value !== 'number') fail(c, 'expected a number for a float');
      if (t.size === 4) view.setFloat32(at, value as number, c.le);
      else view.setFloat64(at, value as number, c.le);
      return;
    case 'array': {
      const element = resolveType(c.btf, t.type);
      if (isChar(element) && typeof value === 'string') {
        const bytes = encodeUtf8(value);
        if (bytes.length >= t.length)
          fail(c, `string of ${bytes.length} bytes does not fit char[${t.length}] with its NUL`);
        new Uint8Array(view.buffer, view.byteOffset + at, t.length).set(bytes);
        return;
      }
      if (!Array.isArray(value) || value.length > t.length)
        fail(c, `expected an array of at most ${t.length} elements`);
      enter(c, w, t);
      const step = sizeOf(c.btf, t.type);
      (value as BtfValue[]).forEach((v, i) => {
        encodeAt(c, w, t.type, view, at + i * step, v);
      });
      w.path.delete(t.id);
      return;
    }
    case 'struct':
    case 'union': {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        fail(c, `expected an object for ${t.kind} ${t.name}`);
      enter(c, w, t);
      const fields = value as { [member: string]: BtfValue };
      const known = new Set(t.members.map((m, i) => (m.name === '' ? `_${i}` : m.name)));
      for (const key of Object.keys(fields))
        if (!known.has(key)) fail(c, `${t.kind} ${t.name || '(anon)'} has no member '${key}'`);
      t.members.forEach((m, i) => {
        const name = m.name === '' ? `_${i}` : m.name;
        const v = fields[name];
        if (v === undefined) return;
        if (m.bitfieldSize > 0)
          writeBits(
            view,
            at,
            m.bitOffset,
            m.bitfieldSize,
            BigInt.asUintN(m.bitfieldSize, bitfieldValue(c, m.type, m.bitfieldSize, v)),
            c.le,
          );
        else encodeAt(c, w, m.type, view, at + m.bitOffset / 8, v);
      });
      w.path.delete(t.id);
      return;
    }
    case 'datasec': {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        fail(c, 'expected an object of variables');
      enter(c, w, t);
      for (const v of t.vars) {
        const given = (value as { [name: string]: BtfValue })[c.btf.nameOf(v.type)];
        if (given !== undefined) encodeAt(c, w, v.type, view, at + v.offset, given);
      }
      w.path.delete(t.id);
      return;
    }
    case 'var':
      encodeAt(c, w, t.type, view, at, value);
      return;
    default:
      fail(c, `no codec for a ${t.kind}`);
  }
}

function readBits(view: DataView, at: number, bitOffset: number, bits: number, le: boolean): bigint {
  let value = 0n;
  for (let i = 0; i < bits; i++) {
    const bit = bitOffset + i;
    const byte = view.getUint8(at + (bit >> 3));
    const set = le ? (byte >> (bit & 7)) & 1 : (byte >> (7 - (bit & 7))) & 1;
    if (le) value |= BigInt(set) << BigInt(i);
    else value = (value << 1n) | BigInt(set);
  }
  return value;
}

function writeBits(view: DataView, at: number, bitOffset: number, bits: number, value: bigint, le: boolean): void {
  for (let i = 0; i < bits; i++) {
    const bit = bitOffset + i;
    const set = le ? Number((value >> BigInt(i)) & 1n) : Number((value >> BigInt(bits - 1 - i)) & 1n);
    const index = at + (bit >> 3);
    const mask = le ? 1 << (bit & 7) : 1 << (7 - (bit & 7));
    view.setUint8(index, set ? view.getUint8(index) | mask : view.getUint8(index) & ~mask);
  }
}

/**
 * A codec for values of type `typeId`: integers become numbers (bigints past 32 bits),
 * `bool` booleans, char arrays strings, arrays arrays, structs and unions objects by member
 * name (anonymous members as `_<index>`, bitfields included), DATASECs objects by variable.
 * BTF the kernel would refuse is refused too, before any byte past the value is touched:
 * members outside their struct, types containing themselves, nesting past 32 levels, sizes
 * past 32 bits and more parts than the value's bytes can hold.
 * @throws {@link BtfError} for types without a value (functions, void) when used, and
 * `bad-record`, `reference-cycle`, `too-deep` or `too-large` for such BTF, naming the type.
 */
export function btfCodec(btf: Btf, typeId: number, littleEndian = btf.littleEndian): BtfCodec {
  const context: Context = { btf, le: littleEndian, typeId, checked: new Set() };
  const size = sizeOf(btf, typeId);
  if (size > MAX_VALUE_SIZE) {
    throw new BtfError('too-large', `a value of ${size} bytes is past the 32-bit sizes BTF has`, {
      ...where(context, typeId),
      expected: `≤ ${MAX_VALUE_SIZE}`,
      actual: size,
    });
  }
  const walk = (): Walk => ({ path: new Set(), budget: EXTRA_VALUES + VALUES_PER_BYTE * size });
  return {
    size,
    decode(bytes) {
      if (bytes.length < size) fail(context, `${bytes.length} bytes given for a ${size}-byte value`);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      return decodeAt(context, walk(), typeId, view, 0);
    },
    encode(value) {
      const bytes = new Uint8Array(new ArrayBuffer(size));
      encodeAt(context, walk(), typeId, new DataView(bytes.buffer), 0, value);
      return bytes;
    },
  };
}
