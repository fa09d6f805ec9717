import { decodeUtf8 } from './text.js';

interface TextDecoderLike {
  decode(bytes: Uint8Array): string;
}

let latin1: TextDecoderLike | undefined;

/** Sections up to this size are decoded whole on first use; larger ones string by string. */
const WHOLE_LIMIT = 256 * 1024;

/**
 * The NUL-terminated strings of a string section (ELF `.strtab`, BTF strings), read by
 * offset. A small section that is all ASCII (as compilers write them) is decoded once as a
 * whole, and each string is then a slice of it, about five times cheaper than decoding
 * strings one by one; anything else is decoded as UTF-8 string by string.
 */
export class StringSection {
  private whole: string | undefined;
  private decidedWhole = false;

  constructor(
    /** The section's bytes (aliased, not copied). */
    readonly bytes: Uint8Array,
  ) {}

  /** The string at `offset`, or `undefined` when `offset` is past the end or no NUL follows it. */
  at(offset: number): string | undefined {
    const whole = this.wholeText();
    if (whole !== undefined) {
      if (offset < 0 || offset >= whole.length) return undefined;
      const end = whole.indexOf('\0', offset);
      return end < 0 ? undefined : whole.slice(offset, end);
    }
    if (offset < 0 || offset >= this.bytes.length) return undefined;
    const end = this.bytes.indexOf(0, offset);
    return end < 0 ? undefined : decodeUtf8(this.bytes.subarray(offset, end));
  }

  private wholeText(): string | undefined {
    if (!this.decidedWhole) {
      this.decidedWhole = true;
      if (this.bytes.length <= WHOLE_LIMIT) {
        latin1 ??= new (globalThis as unknown as { TextDecoder: new (label: string) => TextDecoderLike }).TextDecoder(
          'latin1',
        );
        // Every byte becomes one character, and only bytes below 0x80 become characters
        // below 0x80: an all-ASCII result means offsets and UTF-8 agree.
        const text = latin1.decode(this.bytes);
        if (!/[\u0080-\uffff]/.test(text)) this.whole = text;
      }
    }
    return this.whole;
  }
}
