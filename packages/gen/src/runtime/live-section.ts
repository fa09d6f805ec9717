import { GenError } from '../errors.js';

/**
 * A global-data section (`.bss`, `.data`, `.data.*`, `.rodata`) of a skeleton: generated
 * subclasses add one accessor per variable at its fixed offset, reading and writing
 * {@link $view}. Between `open()` and `load()` that is the section's initial value (what the
 * loader writes into the map), so every section can be set before load, as with libbpf's
 * skeletons; after load it is kernel memory mapped into this process for `.bss`, `.data`
 * and `.data.*`, and a copy for the frozen `.rodata`, whose setters then throw. Struct, union
 * and array variables read as live views ({@link LiveView}, {@link LiveArray}) over the same
 * bytes, so a member or element is read and written in place.
 * After `close()` (or a failed `load()`), any access throws a {@link GenError}.
 */
export class LiveSection {
  #view: DataView | undefined;
  #writable = false;

  constructor(
    /** The ELF section, e.g. `.bss`. */
    readonly $section: string,
    /** The object it belongs to, for errors. */
    readonly $object: string,
  ) {}

  /**
   * The section's bytes, for reads (generated accessors and live views read through it).
   * @throws {@link GenError} `not-loaded` after close or a failed load.
   */
  get $view(): DataView {
    const view = this.#view;
    if (view === undefined)
      throw new GenError(
        'not-loaded',
        'the variables are no longer in memory: the skeleton was closed, or its load() failed',
        { object: this.$object, field: this.$section },
        { hint: 'read and write globals between open() and close() of a skeleton that loaded' },
      );
    return view;
  }

  /**
   * The section's bytes, for a write to `field` (a variable, or a member or element of one:
   * `cfg.inner.a[2]`).
   * @throws {@link GenError} `read-only` naming `field` for a section the kernel froze at load
   * (`.rodata`), `not-loaded` after close or a failed load.
   */
  $writable(field: string): DataView {
    const view = this.$view;
    if (!this.#writable)
      throw new GenError(
        'read-only',
        `${this.$section} was frozen at load, so its variables cannot change`,
        { object: this.$object, field },
        { hint: 'set them between open() and load(), or through open({ … })' },
      );
    return view;
  }

  /** @internal Points the accessors at `bytes` (initial values, the mapped map, or a copy); the skeleton calls it on open and load. */
  $attach(bytes: Uint8Array, writable: boolean): void {
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#writable = writable;
  }

  /** @internal Forgets the memory; the skeleton calls it on close, before the object unmaps it. */
  $release(): void {
    this.#view = undefined;
    this.#writable = false;
  }
}
