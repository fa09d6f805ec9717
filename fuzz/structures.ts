/**
 * Structure-aware fuzz targets, beside the byte mutator: fast-check builds whole inputs a
 * mutation would rarely reach (BTF whose types name each other in cycles, chains thousands
 * deep, counts and sizes at 32-bit limits, objects with many map-in-map slots), and each
 * must be accepted or refused with a typed error, in bounded time.
 */
import { BtfBuilder, BtfError, type BtfTypeDraft, btfCodec, formatC, parseBtf, sizeOf } from '@bpfkit/btf';
import { syntheticMapInMapObject } from '@bpfkit/fixtures';
import { BpfObject } from '@bpfkit/loader';
import fc from 'fast-check';

/** One structure-aware target: how to build an input and what to run on it. */
export interface StructuredTarget {
  /** Short name used on the command line and in reports. */
  readonly name: string;
  /** The inputs, as a fast-check arbitrary. */
  readonly arbitrary: fc.Arbitrary<unknown>;
  /** Runs the entry points on an input of {@link arbitrary}; throws only typed errors. */
  run(input: unknown): void;
  /** An input of {@link arbitrary} as text, for a finding's report. */
  describe(input: unknown): string;
}

function structured<T>(
  name: string,
  arbitrary: fc.Arbitrary<T>,
  run: (input: T) => void,
  describe: (input: T) => string,
): StructuredTarget {
  return { name, arbitrary, run: (input) => run(input as T), describe: (input) => describe(input as T) };
}

/** Runs `step`, swallowing a BtfError (a refusal) so the next step still runs. */
function refusable(step: () => void): void {
  try {
    step();
  } catch (error) {
    if (!BtfError.is(error)) throw error;
  }
}

/** Counts and sizes that break naive loops and allocations. */
const hostileCounts = [0, 1, 2, 0xff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff] as const;
const count = fc.oneof(fc.constantFrom(...hostileCounts), fc.nat(64));

/** A type referring to others by index into the list (any index: forward, backward, itself). */
type Shape =
  | { readonly kind: 'int'; readonly size: number }
  | { readonly kind: 'ptr' | 'typedef' | 'const' | 'volatile'; readonly to: number }
  | { readonly kind: 'array'; readonly to: number; readonly length: number }
  | {
      readonly kind: 'struct' | 'union';
      readonly size: number;
      readonly members: readonly (readonly [number, number])[];
    }
  | { readonly kind: 'func_proto'; readonly returns: number; readonly params: readonly number[] };

const reference = fc.nat(40);
const shape: fc.Arbitrary<Shape> = fc.oneof(
  fc.record({ kind: fc.constant('int' as const), size: fc.constantFrom(1, 2, 4, 8, 16) }),
  fc.record({
    kind: fc.constantFrom('ptr' as const, 'typedef' as const, 'const' as const, 'volatile' as const),
    to: reference,
  }),
  fc.record({ kind: fc.constant('array' as const), to: reference, length: count }),
  fc.record({
    kind: fc.constantFrom('struct' as const, 'union' as const),
    size: count,
    members: fc.array(fc.tuple(reference, fc.oneof(fc.nat(256), fc.constantFrom(...hostileCounts))), { maxLength: 6 }),
  }),
  fc.record({
    kind: fc.constant('func_proto' as const),
    returns: reference,
    params: fc.array(reference, { maxLength: 3 }),
  }),
);

/** A long chain of one kind on top of an int: pointers, typedefs, qualifiers, arrays or structs by value. */
interface Chain {
  readonly kind: 'ptr' | 'typedef' | 'const' | 'array' | 'struct';
  readonly depth: number;
}

/** BTF input: random graphs of up to 40 types, or one deep chain. */
type BtfInput = { readonly graph: readonly Shape[] } | { readonly chain: Chain };

function draft(s: Shape, index: number, types: number): BtfTypeDraft {
  const id = (i: number) => 1 + (i % types);
  switch (s.kind) {
    case 'int':
      return {
        kind: 'int',
        name: `i${index}`,
        size: s.size,
        bits: Math.min(s.size * 8, 128),
        bitOffset: 0,
        encoding: 0,
      };
    case 'ptr':
    case 'const':
    case 'volatile':
      return { kind: s.kind, name: '', type: id(s.to) };
    case 'typedef':
      return { kind: 'typedef', name: `t${index}`, type: id(s.to) };
    case 'array':
      return { kind: 'array', name: '', type: id(s.to), indexType: id(s.to), length: s.length };
    case 'struct':
    case 'union':
      return {
        kind: s.kind,
        name: index % 2 === 0 ? '' : `s${index}`,
        size: s.size,
        bitfieldEncoding: false,
        members: s.members.map(([to, bits], m) => ({
          name: `m${m}`,
          type: id(to),
          bitOffset: bits * 8,
          bitfieldSize: 0,
        })),
      };
    case 'func_proto':
      return {
        kind: 'func_proto',
        name: '',
        returnType: id(s.returns),
        params: s.params.map((p) => ({ name: '', type: id(p) })),
      };
  }
}

function buildBtf(input: BtfInput): Uint8Array {
  const b = new BtfBuilder();
  if ('graph' in input) {
    for (const [index, s] of input.graph.entries()) b.add(draft(s, index, input.graph.length));
    return b.encode();
  }
  let type = b.add({ kind: 'int', name: 'int', size: 4, bits: 32, bitOffset: 0, encoding: 1 });
  for (let i = 0; i < input.chain.depth; i++) {
    switch (input.chain.kind) {
      case 'array':
        type = b.add({ kind: 'array', name: '', type, indexType: 1, length: 1 });
        break;
      case 'struct':
        type = b.add({
          kind: 'struct',
          name: `s${i}`,
          size: 4,
          bitfieldEncoding: false,
          members: [{ name: 'inner', type, bitOffset: 0, bitfieldSize: 0 }],
        });
        break;
      case 'typedef':
        type = b.add({ kind: 'typedef', name: `t${i}`, type });
        break;
      default:
        type = b.add({ kind: input.chain.kind, name: '', type });
    }
  }
  b.add({ kind: 'typedef', name: 'top', type });
  return b.encode();
}

const btfInput: fc.Arbitrary<BtfInput> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ graph: fc.array(shape, { minLength: 1, maxLength: 40 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      chain: fc.record({
        kind: fc.constantFrom(
          'ptr' as const,
          'typedef' as const,
          'const' as const,
          'array' as const,
          'struct' as const,
        ),
        depth: fc.oneof(
          { weight: 18, arbitrary: fc.nat(100) },
          { weight: 1, arbitrary: fc.constant(1000) },
          { weight: 1, arbitrary: fc.constant(20_000) },
        ),
      }),
    }),
  },
);

/** Values the codec is asked to decode: at most this many bytes (larger sizes are refused or skipped). */
const MAX_DECODED = 1 << 20;

/** Every structure-aware target. */
export const structuredTargets: readonly StructuredTarget[] = [
  structured(
    'btf-graph',
    btfInput,
    (input) => {
      const btf = parseBtf(buildBtf(input));
      for (let id = 1; id < btf.typeCount; id++) {
        refusable(() => {
          if (btf.kindOf(id) === 'func_proto') return;
          const size = sizeOf(btf, id);
          const codec = btfCodec(btf, id);
          if (size <= MAX_DECODED) codec.decode(new Uint8Array(size));
        });
      }
      refusable(() => formatC(btf));
    },
    (input) => JSON.stringify(input).slice(0, 4000),
  ),
  structured(
    'many-slots',
    fc.oneof(
      { weight: 18, arbitrary: fc.nat(2000) },
      { weight: 1, arbitrary: fc.constant(10_000) },
      { weight: 1, arbitrary: fc.constant(50_000) },
    ),
    (slots) => {
      void BpfObject.open(syntheticMapInMapObject({ slots }), { objectName: 'fuzz' }).plan;
    },
    (slots) => `${slots} slots`,
  ),
];
