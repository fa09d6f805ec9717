import { ElfError, type ElfErrorCode, type ElfErrorContext } from './errors.js';
import type { ElfSource } from './source.js';
import { ByteView } from './view.js';

/**
 * The bytes of one ELF file, held whole or read by position, plus the object name that
 * every error it raises carries. Internal to this package: each decoding step receives it
 * and asks for the part of the file it decodes ({@link region}), never the whole file.
 */
export class ElfReader {
  /** The file's size in bytes. */
  readonly size: number;

  constructor(
    private readonly input: Uint8Array | ElfSource,
    readonly littleEndian: boolean,
    readonly object: string | undefined,
  ) {
    this.size = input instanceof Uint8Array ? input.byteLength : input.size;
  }

  /** Throws an {@link ElfError} that also names this object. */
  fail(code: ElfErrorCode, problem: string, context: ElfErrorContext = {}): never {
    throw new ElfError(code, problem, withObject(this.object, context));
  }

  /** Throws `truncated` unless `size` bytes at `offset` lie inside the file, `what` naming them. */
  need(offset: number, size: number, what: string): void {
    if (!fits(offset, size, this.size)) this.truncated(offset, size, what);
  }

  /** Throws `truncated`: `size` bytes at `offset`, named `what`, run past the end of the file. */
  truncated(offset: number, size: number, what: string): never {
    return this.fail('truncated', `${what} runs past the end of the file`, {
      offset,
      expected: `at most ${this.size} bytes`,
      actual: `${size} bytes at ${offset}`,
    });
  }

  /** Checks that `[offset, offset + size)` lies inside the file, naming the fields that gave it. */
  extent(offset: number, size: number, fields: string, context: ElfErrorContext): void {
    if (!fits(offset, size, this.size)) {
      this.fail('out-of-bounds', `${fields} point past the end of the file`, {
        ...context,
        expected: `end ≤ ${this.size}`,
        actual: `end ${offset + size}`,
      });
    }
  }

  /**
   * The file's bytes `[offset, offset + size)`, which the caller has checked lie inside the
   * file: a subarray of a file held whole, else read from the source.
   * @throws {@link ElfError} `truncated` when the source ends before them (the file shrank).
   */
  bytes(offset: number, size: number, what: string): Uint8Array {
    const input = this.input;
    if (input instanceof Uint8Array) return input.subarray(offset, offset + size);
    const bytes = input.read(offset, size);
    if (bytes.byteLength < size) {
      this.fail('truncated', `${what} runs past the end of the file, which shrank while it was read`, {
        offset,
        expected: `${size} bytes`,
        actual: `${bytes.byteLength} bytes`,
      });
    }
    return bytes;
  }

  /** {@link bytes} as a {@link FileRegion}, read with the file's byte order. */
  region(offset: number, size: number, what: string): FileRegion {
    return new FileRegion(this, offset, this.bytes(offset, size, what));
  }
}

/**
 * Part of an ELF file (a header, a table, a section) and its reader: fields are read at
 * offsets from the region's start, and errors name the absolute offset in the file.
 */
export class FileRegion {
  /** The region's bytes, read with the file's byte order; offset 0 is the region's first byte. */
  readonly view: ByteView;

  constructor(
    private readonly reader: ElfReader,
    /** Where the region starts in the file. */
    readonly offset: number,
    bytes: Uint8Array,
  ) {
    this.view = new ByteView(bytes, reader.littleEndian, (at, size, part) => reader.truncated(offset + at, size, part));
  }

  /** An unsigned 64-bit field at `at` that must fit a JavaScript number (below 2^53). */
  u64(at: number, field: string, context: ElfErrorContext = {}): number {
    const value = this.view.u64Number(at);
    if (value === undefined) {
      this.reader.fail('too-large', `${field} is 2^53 or larger`, {
        ...context,
        field,
        offset: this.offset + at,
        actual: `0x${this.view.u64(at).toString(16)}`,
      });
    }
    return value;
  }
}

function fits(offset: number, size: number, length: number): boolean {
  return (
    Number.isSafeInteger(offset) && Number.isSafeInteger(size) && offset >= 0 && size >= 0 && offset + size <= length
  );
}

function withObject(object: string | undefined, context: ElfErrorContext): ElfErrorContext {
  return object === undefined || context.object !== undefined ? context : { object, ...context };
}
