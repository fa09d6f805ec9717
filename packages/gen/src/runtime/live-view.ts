import type { LiveSection } from './live-section.js';

/**
 * A struct or union inside a skeleton's global-data section, read and written in place:
 * generated subclasses add one accessor per member at its fixed offset from {@link LiveView.$at}
 * (`skel.data.cfg.limit = 5` writes four bytes of kernel memory, nothing else). A view
 * follows its section: before load it reads the initial values, after load the mapped map,
 * after close it throws; writes to a frozen `.rodata` throw `read-only` naming the member.
 */
export abstract class LiveView<T> {
  constructor(
    /** The section the value lives in. */
    readonly $section: LiveSection,
    /** Its byte offset in the section. */
    readonly $at: number,
    /** Its name in errors: the variable, then members and elements (`cfg.inner.a[2]`). */
    readonly $path: string,
  ) {}

  /** The name of member `member` in errors. */
  $field(member: string): string {
    return `${this.$path}.${member}`;
  }

  /** A plain copy of the whole value, as the generated codec reads it. */
  abstract $value(): T;
}
