/**
 * Mutations of a seed input, as fast-check arbitraries: overwritten bytes, truncation, and
 * 32-bit fields (counts, sizes, offsets) inflated to values that break naive readers.
 */
import fc from 'fast-check';

/** One change to an input. */
export type Mutation =
  | { readonly kind: 'byte'; readonly at: number; readonly value: number }
  | { readonly kind: 'inflate'; readonly at: number; readonly value: number; readonly littleEndian: boolean }
  | { readonly kind: 'truncate'; readonly at: number };

/** Values that overflow sizes, counts and offsets: all ones, sign bits, huge, off-by-one. */
const hostileWords = [0xffffffff, 0x7fffffff, 0x80000000, 0x10000000, 0x00ffffff, 0x10000, 0x100, 0] as const;

/**
 * Positions are taken modulo the input length, so one mutation fits inputs of any size;
 * fast-check's bias towards small numbers then favours the headers.
 */
const position = fc.nat();

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('byte' as const), at: position, value: fc.nat(255) }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('inflate' as const),
      at: position,
      value: fc.oneof(fc.constantFrom(...hostileWords), fc.nat()),
      littleEndian: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: position }) },
);

/** A fuzz case: which seed to start from and the mutations (1 to 6) to apply to it, in order. */
export interface FuzzCase {
  readonly seed: number;
  readonly mutations: readonly Mutation[];
}

/** Cases over `seedCount` seeds. */
export function fuzzCases(seedCount: number): fc.Arbitrary<FuzzCase> {
  return fc.record({ seed: fc.nat(seedCount - 1), mutations: fc.array(mutation, { minLength: 1, maxLength: 6 }) });
}

/** A fresh copy of `seed` with `mutations` applied (positions wrapped to the current length). */
export function applyMutations(seed: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let bytes = seed.slice();
  for (const m of mutations) {
    const at = bytes.length === 0 ? 0 : m.at % bytes.length;
    if (m.kind === 'truncate') bytes = bytes.slice(0, at);
    else if (m.kind === 'byte' && at < bytes.length) bytes[at] = m.value;
    else if (m.kind === 'inflate' && bytes.length >= 4) {
      const aligned = Math.min(at - (at % 4), bytes.length - 4);
      new DataView(bytes.buffer).setUint32(aligned, m.value, m.littleEndian);
    }
  }
  return bytes;
}
