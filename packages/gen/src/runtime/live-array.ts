import { GenError } from '../errors.js';
import type { LiveSection } from './live-section.js';
import { LiveView } from './live-view.js';

/** Reads the element at byte `at` of `section`: its value, or a live view of it named `path` in errors. */
export type ElementReader<R> = (section: LiveSection, at: number, path: string) => R;

/** Writes element value `value` at byte `at` of `view`; `field` names it in errors. */
export type ElementWriter<W> = (view: DataView, at: number, value: W, field: string) => void;

/** The index a property key names, or undefined for a key that is not a number (`length`, `$value`). */
function indexOf(key: string | symbol): number | undefined {
  if (typeof key !== 'string') return undefined;
  const first = key.charCodeAt(0);
  if (!((first >= 48 && first <= 57) || first === 45)) return undefined;
  const index = Number(key);
  return String(index) === key ? index : undefined;
}

/** Element reads and writes through `array[i]`, bounds-checked by the array. */
const indexed: ProxyHandler<LiveArray<unknown, unknown>> = {
  get(target, key) {
    const index = indexOf(key);
    return index === undefined ? Reflect.get(target, key, target) : target.get(index);
  },
  set(target, key, value) {
    const index = indexOf(key);
    if (index === undefined) return Reflect.set(target, key, value, target);
    target.set(index, value);
    return true;
  },
  has(target, key) {
    const index = indexOf(key);
    return index === undefined
      ? Reflect.has(target, key)
      : Number.isInteger(index) && index >= 0 && index < target.length;
  },
};

/**
 * A fixed-size C array inside a skeleton's global-data section, read and written in place:
 * `skel.bss.arr[i] = x`, `arr[i]++`, `arr.length`, `for (const x of arr)`. Elements are
 * numbers, bigints, booleans or strings (`R` = `W`), or live views of structs, unions and
 * arrays (`R`), whose whole value is written with {@link LiveArray.set} (`W`). An index outside the
 * array throws a `GenError` (`out-of-range`) naming it, for reads and writes alike.
 */
export class LiveArray<R, W = R, P extends readonly W[] = W[]> implements Iterable<R> {
  /** Element `index`, read or written in place. */
  [index: number]: R;
  /** Live views of elements already asked for (struct, union and array elements). */
  private readonly views: R[] = [];

  constructor(
    /** The section the array lives in. */
    readonly $section: LiveSection,
    /** Its byte offset in the section. */
    readonly $at: number,
    /** Number of elements. */
    readonly length: number,
    /** Bytes from one element to the next. */
    private readonly step: number,
    /** Its name in errors (`stats.hist`). */
    readonly $path: string,
    private readonly read: ElementReader<R>,
    private readonly write: ElementWriter<W>,
    /** True when elements read as live views, which are kept and given again. */
    private readonly live = false,
  ) {
    Object.freeze(this);
    // biome-ignore lint/correctness/noConstructorReturn: indexing is what makes it an array
    return new Proxy(this, indexed as unknown as ProxyHandler<this>);
  }

  /**
   * Element `index`: its value, or a live view of it.
   * @throws {@link GenError} `out-of-range` for an index outside the array.
   */
  get(index: number): R {
    const at = this.$at + this.checked(index) * this.step;
    if (!this.live) return this.read(this.$section, at, '');
    let view = this.views[index];
    if (view === undefined) {
      view = this.read(this.$section, at, this.elementPath(index));
      this.views[index] = view;
    }
    return view;
  }

  /**
   * Writes element `index` in place (the whole element, for a struct, union or array).
   * @throws {@link GenError} `out-of-range` for an index outside the array or a value that
   * does not fit, `read-only` in a frozen `.rodata`.
   */
  set(index: number, value: W): void {
    const field = this.elementPath(this.checked(index));
    this.write(this.$section.$writable(field), this.$at + index * this.step, value, field);
  }

  /** The elements in order, each read when reached. */
  *[Symbol.iterator](): Iterator<R> {
    for (let i = 0; i < this.length; i++) yield this.get(i);
  }

  /** A plain copy of the whole array, as the generated codec reads it. */
  $value(): P {
    return Array.from(this, (element) =>
      element instanceof LiveView || element instanceof LiveArray ? element.$value() : element,
    ) as unknown as P;
  }

  private elementPath(index: number): string {
    return `${this.$path}[${index}]`;
  }

  private checked(index: number): number {
    if (!Number.isInteger(index) || index < 0 || index >= this.length)
      throw new GenError(
        'out-of-range',
        'the index is outside the array',
        { field: this.$path, expected: `an index from 0 to ${this.length - 1}`, actual: String(index) },
        { hint: `the C array has ${this.length} elements` },
      );
    return index;
  }
}

/**
 * A {@link LiveArray} of up to eight elements whose plain value is the tuple `P`: its
 * indices `0`…`length - 1` are typed as always present (`arr[2]++` type-checks under
 * `noUncheckedIndexedAccess`), as the tuple's are.
 */
export type LiveTuple<R, W, P extends readonly W[]> = LiveArray<R, W, P> & {
  [K in Extract<keyof P, `${number}`>]: R;
};
