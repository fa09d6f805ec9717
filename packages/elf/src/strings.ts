import type { ElfReader } from './reader.js';
import type { Section } from './sections.js';
import { StringSection } from './string-section.js';

/** A NUL-terminated string table section (`SHT_STRTAB`). */
export class StringTable {
  private readonly bytes: Uint8Array;
  private readonly strings: StringSection;

  /** @internal */
  constructor(
    private readonly reader: ElfReader,
    /** The `SHT_STRTAB` section this table reads. */
    readonly section: Section,
  ) {
    this.bytes = section.data;
    this.strings = new StringSection(this.bytes);
  }

  /**
   * The string starting at `offset`. `field` names what holds the offset in errors, followed
   * by `[entry]` when given (the name is built only on failure: this runs per symbol).
   * @throws {@link ElfError} `bad-index` past the end, `unterminated-string` when no NUL follows.
   */
  at(offset: number, field = 'name', entry?: number): string {
    const text = this.strings.at(offset);
    if (text !== undefined) return text;
    if (offset >= this.bytes.length) {
      this.reader.fail('bad-index', 'string offset is past the end of the string table', {
        ...this.where(offset, field, entry),
        expected: `< ${this.bytes.length}`,
        actual: offset,
      });
    }
    return this.reader.fail(
      'unterminated-string',
      'string runs to the end of the table without a NUL',
      this.where(offset, field, entry),
    );
  }

  private where(offset: number, field: string, entry: number | undefined) {
    return {
      section: this.section.index,
      sectionName: this.section.name,
      field: entry === undefined ? field : `${field} [${entry}]`,
      offset: this.section.offset + offset,
    };
  }
}
