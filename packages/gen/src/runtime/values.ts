import { encodeUtf8 } from '@bpfkit/btf';
import { decodeUtf8 } from '@bpfkit/elf';
import { GenError } from '../errors.js';

function outOfRange(field: string, expected: string, value: unknown): never {
  const actual =
    typeof value === 'bigint' ? `${value}n` : typeof value === 'string' ? JSON.stringify(value) : String(value);
  throw new GenError('out-of-range', 'the value does not fit its C type', { field, expected, actual });
}

/**
 * `value` when it is a whole number that fits `bits` bits (signed or not), for writes of C
 * integers up to 32 bits.
 * @throws {@link GenError} `out-of-range` naming `field` otherwise (nothing wraps silently).
 */
export function int(value: number, bits: number, signed: boolean, field: string): number {
  const min = signed ? -(2 ** (bits - 1)) : 0;
  const max = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    outOfRange(field, `an integer from ${min} to ${max}`, value);
  return value;
}

/**
 * `value` when it is a bigint that fits `bits` bits (signed or not), for 64-bit and wider C
 * integers and pointers.
 * @throws {@link GenError} `out-of-range` naming `field` otherwise.
 */
export function bigint(value: bigint, bits: number, signed: boolean, field: string): bigint {
  const min = signed ? -(1n << BigInt(bits - 1)) : 0n;
  const max = signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
  if (typeof value !== 'bigint' || value < min || value > max)
    outOfRange(field, `a bigint from ${min} to ${max}`, value);
  return value;
}

/**
 * `value` when it is a number, for floats.
 * @throws {@link GenError} `out-of-range` naming `field` otherwise.
 */
export function float(value: number, field: string): number {
  if (typeof value !== 'number') outOfRange(field, 'a number', value);
  return value;
}

/** An integer of `size` bytes other than 1, 2, 4 and 8 (`__int128`), as a bigint. */
export function readWide(view: DataView, at: number, size: number, signed: boolean, le: boolean): bigint {
  let value = 0n;
  for (let i = 0; i < size; i++) value = (value << 8n) | BigInt(view.getUint8(at + (le ? size - 1 - i : i)));
  return signed ? BigInt.asIntN(size * 8, value) : value;
}

/** Writes an integer of `size` bytes (checked by {@link bigint} first). */
export function writeWide(view: DataView, at: number, size: number, value: bigint, le: boolean): void {
  let rest = BigInt.asUintN(size * 8, value);
  for (let i = 0; i < size; i++, rest >>= 8n) view.setUint8(at + (le ? i : size - 1 - i), Number(rest & 0xffn));
}

/** The text of a `char` array: its bytes up to the first NUL, as UTF-8. */
export function readString(view: DataView, at: number, length: number): string {
  // ASCII, the usual case (comm, paths, names), is built directly: a decoder call costs more than the text.
  let text = '';
  for (let i = 0; i < length; i++) {
    const byte = view.getUint8(at + i);
    if (byte === 0) return text;
    if (byte >= 0x80) return readUtf8(view, at, length);
    text += String.fromCharCode(byte);
  }
  return text;
}

/** The text of a `char` array that holds UTF-8 beyond ASCII, up to its first NUL. */
function readUtf8(view: DataView, at: number, length: number): string {
  const bytes = new Uint8Array(view.buffer, view.byteOffset + at, length);
  const end = bytes.indexOf(0);
  return decodeUtf8(end < 0 ? bytes : bytes.subarray(0, end));
}

/**
 * Writes `value` into a `char` array of `length` bytes as UTF-8, followed by zeros to the
 * array's end (as the BTF codec's fresh buffer has them), so the text replaces what was there.
 * @throws {@link GenError} `out-of-range` when the text and its NUL do not fit; nothing is written then.
 */
export function writeString(view: DataView, at: number, length: number, value: string, field: string): void {
  if (typeof value !== 'string') outOfRange(field, 'a string', value);
  const bytes = encodeUtf8(value);
  if (bytes.length >= length) outOfRange(field, `at most ${length - 1} bytes of UTF-8`, `${bytes.length} bytes`);
  const array = new Uint8Array(view.buffer, view.byteOffset + at, length);
  array.set(bytes);
  array.fill(0, bytes.length);
}

/**
 * A bitfield of `bits` bits starting `bitOffset` bits into the struct at `at`: BTF bit
 * offsets count from the least significant bit of the first byte on little-endian objects,
 * from the most significant one on big-endian objects.
 */
export function readBits(
  view: DataView,
  at: number,
  bitOffset: number,
  bits: number,
  le: boolean,
  signed: boolean,
): bigint {
  const first = bitOffset >> 3;
  const span = ((bitOffset & 7) + bits + 7) >> 3;
  let window = 0n;
  for (let i = 0; i < span; i++) window = (window << 8n) | BigInt(view.getUint8(at + first + (le ? span - 1 - i : i)));
  const shift = le ? bitOffset & 7 : span * 8 - (bitOffset & 7) - bits;
  const value = BigInt.asUintN(bits, window >> BigInt(shift));
  return signed ? BigInt.asIntN(bits, value) : value;
}

/** Writes a bitfield (see {@link readBits}); the other bits of the bytes it shares stay as they are. */
export function writeBits(
  view: DataView,
  at: number,
  bitOffset: number,
  bits: number,
  le: boolean,
  value: bigint,
): void {
  const first = bitOffset >> 3;
  const span = ((bitOffset & 7) + bits + 7) >> 3;
  const byteAt = (i: number) => at + first + (le ? span - 1 - i : i);
  let window = 0n;
  for (let i = 0; i < span; i++) window = (window << 8n) | BigInt(view.getUint8(byteAt(i)));
  const shift = BigInt(le ? bitOffset & 7 : span * 8 - (bitOffset & 7) - bits);
  const mask = ((1n << BigInt(bits)) - 1n) << shift;
  window = (window & ~mask) | ((BigInt.asUintN(bits, value) << shift) & mask);
  for (let i = span - 1; i >= 0; i--, window >>= 8n) view.setUint8(byteAt(i), Number(window & 0xffn));
}

/**
 * A bitfield's value as a bigint, checked against its width and signedness.
 * @throws {@link GenError} `out-of-range` naming `field`.
 */
export function bitsValue(value: number | bigint, bits: number, signed: boolean, field: string): bigint {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) outOfRange(field, `an integer of ${bits} bits`, value);
    return bigint(BigInt(value), bits, signed, field);
  }
  return bigint(value, bits, signed, field);
}

/** `length` elements of `step` bytes each, read by `read`. */
export function readArray<T>(
  view: DataView,
  at: number,
  length: number,
  step: number,
  read: (view: DataView, at: number) => T,
): T[] {
  const out = new Array<T>(length);
  for (let i = 0; i < length; i++) out[i] = read(view, at + i * step);
  return out;
}

/**
 * Writes up to `length` elements; those past the given ones are left as they are.
 * @throws {@link GenError} `out-of-range` for more elements than the array holds.
 */
export function writeArray<T>(
  view: DataView,
  at: number,
  length: number,
  step: number,
  value: readonly T[],
  write: (view: DataView, at: number, value: T) => void,
  field: string,
): void {
  if (!Array.isArray(value) || value.length > length)
    outOfRange(field, `an array of at most ${length} elements`, value);
  for (let i = 0; i < value.length; i++) write(view, at + i * step, value[i] as T);
}

/**
 * Writes a whole value of `size` bytes at `at`, all or nothing: `fill` writes it into zeroed
 * scratch bytes, which are copied over the old value only when `fill` returns.
 * @throws what `fill` throws (a value that does not fit), leaving `view` as it was.
 */
export function writeWhole(view: DataView, at: number, size: number, fill: (scratch: DataView) => void): void {
  const bytes = new Uint8Array(size);
  fill(new DataView(bytes.buffer));
  new Uint8Array(view.buffer, view.byteOffset + at, size).set(bytes);
}

/**
 * `value` when it is an object, for a struct or union's members.
 * @throws {@link GenError} `out-of-range` naming `field` otherwise.
 */
export function object<T extends object>(value: T, field: string): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) outOfRange(field, 'an object', value);
  return value;
}
