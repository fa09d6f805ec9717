import { ElfError, type ElfErrorCode, type ElfErrorContext } from './errors.js';
import { ByteView } from './view.js';

/**
 * The byte view of one ELF file plus the object name that every error it raises carries.
 * Internal to this package: each decoding step receives it instead of raw bytes.
 */
export class ElfReader {
  readonly view: ByteView;

  constructor(
    bytes: Uint8Array,
    littleEndian: boolean,
    readonly object: string | undefined,
  ) {
    this.view = new ByteView(bytes, littleEndian, (offset, size, what) =>
      this.fail('truncated', `${what} runs past the end of the file`, {
        offset,
        expected: `at most ${bytes.byteLength} bytes`,
        actual: `${size} bytes at ${offset}`,
      }),
    );
  }

  /** Throws an {@link ElfError} that also names this object. */
  fail(code: ElfErrorCode, problem: string, context: ElfErrorContext = {}): never {
    throw new ElfError(code, problem, withObject(this.object, context));
  }

  /** An unsigned 64-bit field that must fit a JavaScript number (below 2^53). */
  u64(offset: number, field: string, context: ElfErrorContext = {}): number {
    const value = this.view.u64Number(offset);
    if (value === undefined) {
      this.fail('too-large', `${field} is 2^53 or larger`, {
        ...context,
        field,
        offset,
        actual: `0x${this.view.u64(offset).toString(16)}`,
      });
    }
    return value;
  }

  /** Checks that `[offset, offset + size)` lies inside the file, naming the fields that gave it. */
  extent(offset: number, size: number, fields: string, context: ElfErrorContext): void {
    if (!this.view.fits(offset, size)) {
      this.fail('out-of-bounds', `${fields} point past the end of the file`, {
        ...context,
        expected: `end ≤ ${this.view.length}`,
        actual: `end ${offset + size}`,
      });
    }
  }
}

function withObject(object: string | undefined, context: ElfErrorContext): ElfErrorContext {
  return object === undefined || context.object !== undefined ? context : { object, ...context };
}
