import { BtfBuilder, type BtfValue, btfCodec, parseBtf, readObjectBtf } from '@bpfkit/btf';
import { parseElf } from '@bpfkit/elf';
import { readFixture } from '@bpfkit/fixtures';
import { GenError, type GeneratedCodec, generateTypes } from '@bpfkit/gen';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emitContext } from '../src/generate-types.js';
import { fixtureTypes } from './fixture-types.js';
import { runGenerated } from './generated-module.js';

const skeletonBtf = (order: 'el' | 'eb' = 'el') => {
  const btf = readObjectBtf(parseElf(readFixture('skeleton', order), { name: 'skeleton' }))?.btf;
  if (btf === undefined) throw new Error('skeleton fixture has no BTF');
  return btf;
};

/** The outcome of a call: its value, or that it threw. */
function outcome<T>(run: () => T): { value: T } | { threw: true } {
  try {
    return { value: run() };
  } catch {
    return { threw: true };
  }
}

describe('generateTypes', () => {
  it('writes representative types as the snapshot shows (bitfields, enums, unions, anonymous members, arrays)', async () => {
    const text = generateTypes(skeletonBtf(), {
      types: ['event', 'big_numbers', 'record', 'pair_t'],
      object: 'skeleton',
    });
    await expect(text).toMatchFileSnapshot('__snapshots__/skeleton-types.ts.txt');
  });

  it('maps C types to the JavaScript values the BTF codec gives', () => {
    const text = generateTypes(skeletonBtf(), { types: ['event', 'big_numbers', 'record', 'stats'] });
    expect(text).toContain('  time_ns: bigint;'); // __u64
    expect(text).toContain('  comm: string;'); // char[16]
    expect(text).toContain('  where: bigint;'); // void *
    expect(text).toContain('  done: boolean;'); // _Bool
    expect(text).toContain('  signed_bits: number;'); // int : 5
    expect(text).toContain('  big: bigint;'); // unsigned long long : 40
    expect(text).toContain('  hist: [number, number, number, number];'); // __u32[4]
    expect(text).toContain('  many: bigint[];'); // __u64[12]
    expect(text).toContain('  data: number[];'); // __u8 data[] (flexible)
    expect(text).toContain('  huge: bigint;'); // unsigned __int128
    expect(text).toContain('  ratio: number;'); // float
    expect(text).toContain('  _8: {'); // anonymous union member, named as the codec names it
    expect(text).toContain('  wide: wide_enum;');
    expect(text).toMatch(/export const wide_enum = \{\n {2}WIDE_SMALL: 1n,\n {2}WIDE_BIG: 4294967296n,\n\} as const;/);
    expect(text).toMatch(/export const delta = \{\n {2}DELTA_DOWN: -1,/);
  });

  it('resolves name clashes deterministically: reserved words and C namespaces get a suffix', () => {
    const btf = skeletonBtf();
    const typedef = btf.byName('node', 'typedef')?.id ?? 0;
    const text = generateTypes(btf, { types: ['node', 'delete', 'event'], roots: [typedef] });
    expect(text).toContain('export interface number_union {'); // union number: `number` is a TypeScript type
    expect(text).toContain('export interface delete_struct {'); // struct delete: a keyword
    expect(text).toContain('export interface node {'); // struct node keeps its name ...
    expect(text).toContain('export type node_typedef = delete_struct;'); // ... the typedef of the same name gets a suffix
    expect(generateTypes(skeletonBtf(), { types: ['delete', 'node', 'event'] })).toBe(
      generateTypes(skeletonBtf(), { types: ['delete', 'node', 'event'] }),
    );
  });

  it("renames C types that would shadow the generated code's own names (v, at, x, x1, given), and their codecs still agree", () => {
    const b = new BtfBuilder();
    const int = b.add({ kind: 'int', name: 'int', size: 4, bits: 32, bitOffset: 0, encoding: 1 });
    const member = (name: string, type: number, at: number) => ({ name, type, bitOffset: at * 8, bitfieldSize: 0 });
    const struct = (name: string, size: number, members: ReturnType<typeof member>[]) =>
      b.add({ kind: 'struct', name, size, bitfieldEncoding: false, members });
    const x1 = struct('x1', 4, [member('a', int, 0)]);
    const pair = b.add({ kind: 'array', name: '', type: x1, indexType: int, length: 2 });
    const at = struct('at', 12, [member('inner', x1, 0), member('pair', pair, 4)]);
    const given = struct('given', 4, [member('b', int, 0)]);
    const v = struct('v', 16, [member('m', at, 0), member('g', given, 12)]);
    const x = struct('x', 20, [member('y', v, 0), member('z', x1, 16)]);
    const btf = parseBtf(b.encode({ littleEndian: true }));
    const text = generateTypes(btf, { roots: [x] });
    for (const name of ['x1', 'at', 'given', 'v', 'x']) expect(text).toContain(`export interface ${name}_struct {`);
    const module = runGenerated(text);
    const reference = btfCodec(btf, x);
    const bytes = new Uint8Array(20).map((_, i) => i * 7);
    const value = reference.decode(bytes);
    const generated = module.x_struct as GeneratedCodec<BtfValue>;
    expect(generated.decode(bytes)).toEqual(value);
    expect(generated.encode(value)).toEqual(reference.encode(value));
  });

  it('refuses a type name the BTF lacks, saying how to make clang emit it', () => {
    const error = (() => {
      try {
        generateTypes(skeletonBtf(), { types: ['no_such_type'], object: 'skeleton' });
      } catch (e) {
        return e;
      }
    })();
    expect(GenError.is(error)).toBe(true);
    expect(error).toMatchObject({ code: 'type-not-found', context: { object: 'skeleton', field: 'no_such_type' } });
    expect((error as Error).message).toContain('__attribute__((unused))');
  });

  describe('generated codecs agree with the BTF codec on every fixture', () => {
    for (const { label, btf, roots } of fixtureTypes()) {
      const text = generateTypes(btf, { roots, object: label });
      const module = runGenerated(text);
      const declared = emitContext(btf, roots).declarations.list.filter((d) => d.form === 'interface');
      if (declared.length === 0) continue;
      it(`${label}: ${declared.map((d) => d.name).join(', ')}`, () => {
        for (const { name, target: id } of declared) {
          const generated = module[name] as GeneratedCodec<BtfValue>;
          const reference = btfCodec(btf, id);
          fc.assert(
            fc.property(fc.uint8Array({ minLength: reference.size, maxLength: reference.size }), (bytes) => {
              const value = reference.decode(bytes);
              expect(generated.decode(bytes)).toEqual(value);
              const expected = outcome(() => reference.encode(value));
              const actual = outcome(() => generated.encode(value));
              expect('threw' in actual).toBe('threw' in expected);
              if ('value' in expected && 'value' in actual) expect(actual.value).toEqual(expected.value);
            }),
            { numRuns: 50 },
          );
        }
      });
    }
  });
});
