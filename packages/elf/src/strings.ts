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
   * The string starting at `offset`.
   * @throws {@link ElfError} `bad-index` past the end, `unterminated-string` when no NUL follows.
   */
  at(offset: number, field = 'name'): string {
    const cached = this.cache.get(offset);
    if (cached !== undefined) return cached;
    const context = {
      section: this.section.index,
      sectionName: this.section.name,
      field,
      offset: this.section.offset + offset,
    };
    if (offset >= this.bytes.length) {
      this.reader.fail('bad-index', 'string offset is past the end of the string table', {
        ...context,
        expected: `< ${this.bytes.length}`,
        actual: offset,
      });
    }
    const end = this.bytes.indexOf(0, offset);
    if (end < 0) {
      this.reader.fail('unterminated-string', 'string runs to the end of the table without a NUL', context);
    }
    const text = decodeUtf8(this.bytes.subarray(offset, end));
    this.cache.set(offset, text);
    return text;
  }
}
