import { StringSection } from '@bpfkit/elf';

/**
 * The string section of one BTF blob, with split BTF's rule built in: offsets below the
 * base's string length read the base, the rest read this blob at `offset - baseLength`.
 * Nothing is decoded until asked for (decoded types cache their own names).
 */
export class BtfStrings {
  private readonly section: StringSection;

  constructor(
    /** This blob's string section (aliases the input). */
    readonly bytes: Uint8Array,
    /** The base BTF's strings, for split BTF. */
    readonly base?: BtfStrings,
  ) {
    this.section = new StringSection(bytes);
  }

  /** Offset where this blob's own strings start in the combined numbering. */
  get start(): number {
    return this.base === undefined ? 0 : this.base.end;
  }

  /** One past the last offset of the combined numbering. */
  get end(): number {
    return this.start + this.bytes.length;
  }

  /** Decodes this blob's and its base's strings whole now, for a reader about to read most of them. */
  decodeWhole(): void {
    this.base?.decodeWhole();
    this.section.decodeWhole();
  }

  /** The blob (this one or a base) whose own strings hold `offset`. */
  owner(offset: number): BtfStrings {
    return this.base !== undefined && offset < this.start ? this.base.owner(offset) : this;
  }

  /** The NUL-terminated string at `offset`, or `undefined` when there is none. */
  tryAt(offset: number): string | undefined {
    const start = this.start;
    if (offset < start) return this.base?.tryAt(offset);
    return this.section.at(offset - start);
  }

  /** True when {@link tryAt} finds a string at `offset`; decodes nothing. */
  has(offset: number): boolean {
    const start = this.start;
    if (offset < start) return this.base?.has(offset) ?? false;
    return this.section.has(offset - start);
  }

  /** True when the strings at offsets `a` and `b` are the same bytes; compares without decoding. */
  same(a: number, b: number): boolean {
    if (a === b) return true;
    const ownerA = this.owner(a);
    const ownerB = this.owner(b);
    const bytesA = ownerA.bytes;
    const bytesB = ownerB.bytes;
    let i = a - ownerA.start;
    let j = b - ownerB.start;
    for (;;) {
      const byte = bytesA[i++] ?? 0;
      if (byte !== (bytesB[j++] ?? 0)) return false;
      if (byte === 0) return true;
    }
  }

  /** True when the string at `offset`, NUL included, equals `name`; compares bytes without decoding. */
  equals(offset: number, name: Uint8Array): boolean {
    const start = this.start;
    if (offset < start) return this.base?.equals(offset, name) ?? false;
    const local = offset - start;
    const bytes = this.bytes;
    if (local + name.length >= bytes.length) return false;
    for (let i = 0; i < name.length; i++) if (bytes[local + i] !== name[i]) return false;
    return bytes[local + name.length] === 0;
  }
}
