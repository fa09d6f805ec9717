import type { ElfReader } from './reader.js';
import type { Section } from './sections.js';
import { decodeUtf8 } from './text.js';

/** A NUL-terminated string table section (`SHT_STRTAB`), with lookups cached by offset. */
export class StringTable {
  private readonly cache = new Map<number, string>();
  private readonly bytes: Uint8Array;

  /** @internal */
  constructor(
    private readonly reader: ElfReader,
    /** The `SHT_STRTAB` section this table reads. */
    readonly section: Section,
  ) {
    this.bytes = section.data;
  }

  /**
   * The string starting at `offset`. `field` names what holds the offset in errors; pass a
   * function when building that name costs something, as it is only needed on failure.
   * @throws {@link ElfError} `bad-index` past the end, `unterminated-string` when no NUL follows.
   */
  at(offset: number, field: string | (() => string) = 'name'): string {
    const cached = this.cache.get(offset);
    if (cached !== undefined) return cached;
    if (offset >= this.bytes.length) {
      this.reader.fail('bad-index', 'string offset is past the end of the string table', {
        ...this.where(offset, field),
        expected: `< ${this.bytes.length}`,
        actual: offset,
      });
    }
    const end = this.bytes.indexOf(0, offset);
    if (end < 0) {
      this.reader.fail(
        'unterminated-string',
        'string runs to the end of the table without a NUL',
        this.where(offset, field),
      );
    }
    const text = decodeUtf8(this.bytes.subarray(offset, end));
    this.cache.set(offset, text);
    return text;
  }

  private where(offset: number, field: string | (() => string)) {
    return {
      section: this.section.index,
      sectionName: this.section.name,
      field: typeof field === 'string' ? field : field(),
      offset: this.section.offset + offset,
    };
  }
}
