/**
 * Reads and writes values of one C type at an offset of a `DataView`, in the object's byte
 * order: what `bpfkit gen` emits for every struct, union and typedef it declares.
 */
export interface GeneratedCodec<T> {
  /** Size of a value in bytes. */
  readonly size: number;
  /** Reads a value at byte `at` of `view`. */
  read(view: DataView, at: number): T;
  /**
   * Writes `value` at byte `at` of `view` as an assignment: the value's bytes are cleared
   * first, so members left `undefined` and array elements past the given ones become zero.
   * @throws {@link GenError} `out-of-range` naming the member whose value does not fit.
   */
  write(view: DataView, at: number, value: T): void;
  /**
   * Writes only what `value` gives over the bytes already there (what {@link write} does
   * after clearing, and what it does for a member nested in another value).
   * @throws {@link GenError} `out-of-range` naming the member whose value does not fit.
   */
  fill(view: DataView, at: number, value: T): void;
  /** Reads a value from the start of `bytes` (at least {@link size} long). */
  decode(bytes: Uint8Array): T;
  /** A new buffer of {@link size} bytes holding `value`. */
  encode(value: T): Uint8Array;
}

/** A {@link GeneratedCodec} from its read and write functions. */
export function codec<T>(
  size: number,
  read: (view: DataView, at: number) => T,
  fill: (view: DataView, at: number, value: T) => void,
): GeneratedCodec<T> {
  return {
    size,
    read,
    fill,
    write(view, at, value) {
      new Uint8Array(view.buffer, view.byteOffset + at, size).fill(0);
      fill(view, at, value);
    },
    decode: (bytes) => read(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), 0),
    encode(value) {
      const bytes = new Uint8Array(size);
      fill(new DataView(bytes.buffer), 0, value);
      return bytes;
    },
  };
}
