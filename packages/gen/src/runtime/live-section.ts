import { GenError } from '../errors.js';

/**
 * A global-data section (`.bss`, `.data`, `.data.*`, `.rodata`) of a skeleton: generated
 * subclasses add one accessor per variable at its fixed offset, reading and writing
 * {@link $view}, which is kernel memory once the skeleton has loaded (a copy, for the
 * read-only `.rodata`). Before load and after close, any access throws a {@link GenError}.
 */
export class LiveSection {
  #view: DataView | undefined;

  constructor(
    /** The ELF section, e.g. `.bss`. */
    readonly $section: string,
    /** The object it belongs to, for errors. */
    readonly $object: string,
  ) {}

  /**
   * The section's bytes.
   * @throws {@link GenError} `not-loaded` before load and after close.
   */
  protected get $view(): DataView {
    const view = this.#view;
    if (view === undefined)
      throw new GenError(
        'not-loaded',
        `${this.$section} is not in memory: load() the skeleton first, and use it before close()`,
        {
          object: this.$object,
          field: this.$section,
        },
      );
    return view;
  }

  /** @internal Points the accessors at `bytes` (the mapped map, or a copy); the skeleton calls it on load. */
  $attach(bytes: Uint8Array): void {
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** @internal Forgets the memory; the skeleton calls it on close, before the object unmaps it. */
  $release(): void {
    this.#view = undefined;
  }
}
