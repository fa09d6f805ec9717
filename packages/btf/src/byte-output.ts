import { encodeUtf8 } from './utf8.js';

/** Bytes a fresh buffer starts with; it doubles when full. */
const INITIAL_BYTES = 1 << 16;

/**
 * Longest range {@link ByteOutput.copy} copies byte by byte: a name is shorter, and copying
 * it so allocates nothing, where `set` would need a `subarray` object per name.
 */
const BYTEWISE_COPY_MAX = 64;

/**
 * Text written as bytes into one growing buffer, handed out in pieces: what the C dump
 * writes instead of building JS strings (names are copied straight from the string
 * section, numbers written digit by digit), so a dump of vmlinux allocates a few buffers,
 * not a string per line.
 */
export class ByteOutput {
  private buffer: Uint8Array;
  private written = 0;
  /** Digits of the number being written, least significant first. */
  private readonly digits = new Uint8Array(20);

  constructor() {
    // Stored twice: V8 then knows from the start that the field changes, instead of compiling
    // every writer for the first buffer and throwing that code away when the buffer grows.
    this.buffer = new Uint8Array(0);
    this.buffer = new Uint8Array(INITIAL_BYTES);
  }

  /** Bytes written since the last {@link take}. */
  get length(): number {
    return this.written;
  }

  /**
   * Makes room for `count` more bytes: ahead of writing that many, so that the writing does
   * not grow the buffer (each writer checks the room itself first and calls this only when it
   * lacks some, so the common case costs a comparison, not a call).
   */
  grow(count: number): void {
    const needed = this.written + count;
    if (needed <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < needed) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buffer.subarray(0, this.written));
    this.buffer = grown;
  }

  /** Writes `text` as UTF-8 (ASCII byte by byte). */
  text(text: string): void {
    let at = this.written;
    if (at + text.length > this.buffer.length) this.grow(text.length);
    const buffer = this.buffer;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code >= 0x80) {
        const encoded = encodeUtf8(text);
        this.copy(encoded, 0, encoded.length);
        return;
      }
      buffer[at++] = code;
    }
    this.written = at;
  }

  /** Writes one byte. */
  byte(value: number): void {
    if (this.written === this.buffer.length) this.grow(1);
    this.buffer[this.written++] = value;
  }

  /** Writes byte `value` `count` times (a loop: counts are an indentation's few tabs). */
  repeat(value: number, count: number): void {
    let at = this.written;
    if (at + count > this.buffer.length) this.grow(count);
    const buffer = this.buffer;
    for (let i = 0; i < count; i++) buffer[at++] = value;
    this.written = at;
  }

  /** Writes `source[start…end)` as it is. */
  copy(source: Uint8Array, start: number, end: number): void {
    const count = end - start;
    const at = this.written;
    if (at + count > this.buffer.length) this.grow(count);
    const buffer = this.buffer;
    if (count > BYTEWISE_COPY_MAX) buffer.set(source.subarray(start, end), at);
    else for (let i = 0; i < count; i++) buffer[at + i] = source[start + i] as number;
    this.written = at + count;
  }

  /** Writes bytes `start…end` of what `other` holds (written since its last {@link take}). */
  copyFrom(other: ByteOutput, start: number, end: number): void {
    this.copy(other.buffer, start, Math.min(end, other.written));
  }

  /**
   * Writes the NUL-terminated string at `source[start]` (without the NUL; to the end of
   * `source` when none follows), a name from a string section, and returns where it ends.
   * One loop finds the end and copies: no call into V8's runtime, as `indexOf` makes.
   */
  cString(source: Uint8Array, start: number): number {
    const buffer = this.buffer;
    let at = this.written;
    let from = start;
    for (;;) {
      const byte = source[from] ?? 0;
      if (byte === 0) break;
      if (at === buffer.length) {
        // Rare: the rest is copied again with the room it needs.
        const end = source.indexOf(0, from);
        this.copy(source, start, end < 0 ? source.length : end);
        return end < 0 ? source.length : end;
      }
      buffer[at++] = byte;
      from++;
    }
    this.written = at;
    return from;
  }

  /** Writes a whole number (below 2^53) in decimal, with a minus sign when negative. */
  integer(value: number): void {
    let rest = value;
    if (rest < 0) {
      this.byte(0x2d);
      rest = -rest;
    }
    const digits = this.digits;
    let count = 0;
    do {
      digits[count++] = rest % 10;
      rest = Math.floor(rest / 10);
    } while (rest > 0);
    let at = this.written;
    if (at + count > this.buffer.length) this.grow(count);
    const buffer = this.buffer;
    while (count > 0) buffer[at++] = 0x30 + (digits[--count] as number);
    this.written = at;
  }

  /** Forgets the last `count` bytes written. */
  drop(count: number): void {
    this.written = Math.max(0, this.written - count);
  }

  /**
   * Moves the bytes written since `middle` in front of those from `from` to `middle`: how a
   * writer puts a head it could only write last (a name claimed after the body) first.
   * The moved bytes wait past the end of what is written, so no copy is allocated.
   */
  rotate(from: number, middle: number): void {
    const end = this.written;
    const moved = end - middle;
    if (end + moved > this.buffer.length) this.grow(moved);
    const buffer = this.buffer;
    buffer.copyWithin(end, middle, end);
    buffer.copyWithin(from + moved, from, middle);
    buffer.copyWithin(from, end, end + moved);
  }

  /**
   * The bytes written so far, or `undefined` below `atLeast` bytes or when there are none;
   * they are the caller's, and writing goes on into a fresh buffer.
   */
  take(atLeast: number): Uint8Array | undefined {
    if (this.written < atLeast || this.written === 0) return undefined;
    const taken = this.buffer.subarray(0, this.written);
    this.buffer = new Uint8Array(Math.max(INITIAL_BYTES, Math.min(this.buffer.length, atLeast * 2)));
    this.written = 0;
    return taken;
  }
}
