import { decodeUtf8 } from './text.js';

/** Sections up to this size are decoded whole on first use; larger ones string by string. */
const WHOLE_LIMIT = 256 * 1024;

/**
 * The NUL-terminated strings of a string section (ELF `.strtab`, BTF strings), read by
 * offset. A small section that is all ASCII (as compilers write them) is decoded once as a
 * whole, and each string is then a slice of it, about five times cheaper than decoding
 * strings one by one; anything else is decoded as UTF-8 string by string.
 */
export class StringSection {
  /** The section as text once tried and found all ASCII. */
  private whole: string | undefined;
  private triedWhole = false;
  /** Offset of the section's last NUL (-1 when it has none), found on first {@link has}. */
  private lastNul: number | undefined;

  constructor(
    /** The section's bytes (aliased, not copied). */
    readonly bytes: Uint8Array,
  ) {}

  /** The string at `offset`, or `undefined` when `offset` is past the end or no NUL follows it. */
  at(offset: number): string | undefined {
    const whole = this.wholeText(WHOLE_LIMIT);
    if (whole !== undefined) {
      if (offset < 0 || offset >= whole.length) return undefined;
      const end = whole.indexOf('\0', offset);
      return end < 0 ? undefined : whole.slice(offset, end);
    }
    if (offset < 0 || offset >= this.bytes.length) return undefined;
    const end = this.bytes.indexOf(0, offset);
    return end < 0 ? undefined : decodeUtf8(this.bytes.subarray(offset, end));
  }

  /** True when {@link at} finds a string at `offset`; decodes nothing. */
  has(offset: number): boolean {
    this.lastNul ??= this.bytes.lastIndexOf(0);
    return offset >= 0 && offset <= this.lastNul;
  }

  /**
   * Decodes the whole section now, whatever its size, when it is all ASCII: for a reader
   * about to read most of its strings (a dump of every BTF type), which then costs one
   * decoder call instead of one per string.
   */
  decodeWhole(): void {
    this.wholeText(Number.POSITIVE_INFINITY);
  }

  /** The whole section as text, tried once if it is at most `limit` bytes; `undefined` when not all ASCII. */
  private wholeText(limit: number): string | undefined {
    if (!this.triedWhole && this.bytes.length <= limit) {
      this.triedWhole = true;
      this.whole = asciiText(this.bytes);
    }
    return this.whole;
  }
}

/** `bytes` as text when every byte is ASCII, else `undefined`. */
function asciiText(bytes: Uint8Array): string | undefined {
  // A byte past ASCII is part of a UTF-8 sequence, which decodes to fewer characters than
  // its bytes (a leading byte-order mark to none), or is not UTF-8 and decodes to U+FFFD,
  // one for one. Looking for U+FFFD is about 6× cheaper than a character-class test of
  // the whole text (all-ASCII text is a one-byte string, which V8 answers at once).
  const text = decodeUtf8(bytes);
  return text.length !== bytes.length || text.includes('\ufffd') ? undefined : text;
}
