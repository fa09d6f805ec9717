import { readKernelBtf } from '@bpfkit/btf/node';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BtfBuilder, type BtfKindName, essentialName, parseBtf } from '../src/index.js';

/**
 * Anonymous pointers put before the named types of a "large" blob: a blob of fewer than
 * 2,048 types is always searched by scanning, a larger one scans for its first lookup of a
 * kind and builds a name index for the next ones. Tests run both.
 */
const PADDING = 2048;

/** A builder holding {@link PADDING} anonymous types when `large`, and the id its next type gets. */
function builderFor(large: boolean): { builder: BtfBuilder; firstId: number } {
  const builder = new BtfBuilder();
  for (let i = 0; large && i < PADDING; i++) builder.add({ kind: 'ptr', name: '', type: 0 });
  return { builder, firstId: large ? PADDING + 1 : 1 };
}

/** Every id whose name satisfies `test`, found the slow way: decoding every name. */
function naive(names: readonly string[], test: (name: string) => boolean, firstId = 1): number[] {
  return names.flatMap((name, index) => (name !== '' && test(name) ? [index + firstId] : []));
}

describe('name lookups', () => {
  // Names made of `a`, `b` and `_` hit every flavor rule: runs of 2, 3 and 4 underscores,
  // leading and trailing ones, and several suffixes in one name.
  const name = fc.stringMatching(/^[ab_]{0,9}$/);

  // A query may also hold a NUL, which no name in a string section does.
  const query = fc.oneof(name, fc.stringMatching(/^[ab_\0]{1,9}$/));

  it('find exactly what a scan of every name finds, before and after the index exists', () => {
    // Half the queries are one of the names, or its essential part, so that lookups find something.
    const namesAndQuery = fc
      .array(name, { minLength: 1, maxLength: 40 })
      .chain((names) =>
        fc.tuple(
          fc.constant(names),
          fc.oneof(query, fc.constantFrom(...names), fc.constantFrom(...names.map(essentialName))),
        ),
      );
    fc.assert(
      fc.property(namesAndQuery, fc.boolean(), fc.boolean(), ([names, query], little, large) => {
        const { builder, firstId } = builderFor(large);
        for (const n of names) builder.add({ kind: 'struct', name: n, size: 0, bitfieldEncoding: false, members: [] });
        const btf = parseBtf(builder.encode({ littleEndian: little }));
        const exact = naive(names, (n) => n === query, firstId);
        const key = essentialName(query);
        const essential = naive(names, (n) => essentialName(n) === key, firstId);
        expect(btf.idsByEssentialName(query)).toEqual(essential); // first lookup: a scan
        expect(btf.idsByName(query)).toEqual(exact); // first lookup: a scan
        expect(btf.idsByName(query)).toEqual(exact); // then (large) through the index
        expect(btf.idsByEssentialName(query)).toEqual(essential); // remembered
        // Another name, unless it cuts to the same: (large) through the index.
        const other = essentialName(`${query}_`);
        expect(btf.idsByEssentialName(`${query}_`)).toEqual(naive(names, (n) => essentialName(n) === other, firstId));
        expect(btf.idsByName(query)).toEqual(exact);
      }),
      { numRuns: 300 },
    );
  });

  it('find the types of one kind, or of any, through indexes of their own, in id order', () => {
    // A lookup by kind reads an index of that kind's types only; one without reads every type.
    const kindOfEntry = fc.constantFrom<'func' | 'struct' | 'union'>('func', 'struct', 'union');
    const entries = fc.array(fc.tuple(name, kindOfEntry), { minLength: 1, maxLength: 40 });
    const asked = fc.shuffledSubarray<BtfKindName | undefined>([undefined, 'func', 'struct', 'union', 'enum'], {
      minLength: 5,
    });
    fc.assert(
      fc.property(entries, asked, fc.boolean(), (entries, order, large) => {
        const { builder } = builderFor(large);
        const proto = builder.add({ kind: 'func_proto', name: '', returnType: 0, params: [] });
        for (const [n, kind] of entries) {
          builder.add(
            kind === 'func'
              ? { kind, name: n, type: proto, linkage: 0 }
              : { kind, name: n, size: 0, bitfieldEncoding: false, members: [] },
          );
        }
        const btf = parseBtf(builder.encode());
        const found = (test: (name: string) => boolean, kind: BtfKindName | undefined) =>
          entries.flatMap(([n, k], index) =>
            n !== '' && test(n) && (kind === undefined || kind === k) ? [proto + 1 + index] : [],
          );
        for (const [query] of entries) {
          const key = essentialName(query);
          // Twice each: the first exact lookup of the blob scans, the others read indexes.
          for (const kind of [...order, ...order]) {
            expect(btf.idsByName(query, kind)).toEqual(found((n) => n === query, kind));
            expect(btf.idsByEssentialName(query, kind)).toEqual(found((n) => essentialName(n) === key, kind));
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it.each([
    ['one walk', false],
    ['the index', true],
  ])('find the flavors of names shorter than the four bytes the index keys on, through %s', (_, large) => {
    const names = ['a___b', 'ab___x', 'abc___yy', 'abcd___z', 'rq', 'rq___old', 'ab_c', 'abc'];
    const { builder, firstId } = builderFor(large);
    for (const n of names) builder.add({ kind: 'struct', name: n, size: 0, bitfieldEncoding: false, members: [] });
    const btf = parseBtf(builder.encode());
    const ids = (...wanted: string[]) => wanted.map((n) => names.indexOf(n) + firstId);
    // A large blob scans for its first lookup of a kind only.
    if (large) expect(btf.idsByEssentialName('no_such', 'struct')).toEqual([]);
    expect(btf.idsByEssentialName('a', 'struct')).toEqual(ids('a___b'));
    expect(btf.idsByEssentialName('ab', 'struct')).toEqual(ids('ab___x'));
    expect(btf.idsByEssentialName('abc___new', 'struct')).toEqual(ids('abc___yy', 'abc'));
    expect(btf.idsByEssentialName('abcd', 'struct')).toEqual(ids('abcd___z'));
    expect(btf.idsByEssentialName('rq___new', 'struct')).toEqual(ids('rq', 'rq___old'));
  });

  it('find several essential names in one lookup as one by one, in a blob of any size', () => {
    const entries = fc.array(fc.tuple(name, fc.constantFrom<'struct' | 'union'>('struct', 'union')), {
      minLength: 1,
      maxLength: 30,
    });
    const asked = fc.array(fc.oneof(query, name), { maxLength: 6 });
    fc.assert(
      fc.property(entries, asked, fc.boolean(), (entries, queries, large) => {
        const { builder, firstId } = builderFor(large);
        for (const [n, kind] of entries) builder.add({ kind, name: n, size: 0, bitfieldEncoding: false, members: [] });
        const btf = parseBtf(builder.encode());
        const expected = (query: string, kind: BtfKindName | undefined) =>
          entries.flatMap(([n, k], index) =>
            n !== '' && essentialName(n) === essentialName(query) && (kind === undefined || kind === k)
              ? [firstId + index]
              : [],
          );
        // Asked twice: the first lookup of a kind walks the records, the second (large) reads the index.
        for (const kind of ['struct', undefined, 'struct', undefined] as const) {
          const names = [...queries, ...entries.map(([n]) => n)];
          expect(btf.idsByEssentialNames(names, kind)).toEqual(names.map((n) => expected(n, kind)));
        }
      }),
      { numRuns: 150 },
    );
  });

  it('search a split BTF and its base alike, names with several flavors included', () => {
    const struct = (name: string) => ({ kind: 'struct', name, size: 0, bitfieldEncoding: false, members: [] }) as const;
    const b = new BtfBuilder();
    const inBase = b.add(struct('a___b___c'));
    const base = parseBtf(b.encode());
    const m = new BtfBuilder(base);
    const inModule = m.add(struct('a___b___d'));
    const split = parseBtf(m.encode(), { base });
    // Both cut to 'a___b' (only the last flavor goes), in the base and in the split part.
    expect(split.idsByEssentialName('a___b___x')).toEqual([inBase, inModule]);
    expect(split.idsByEssentialNames(['a', 'a___b___y', 'a___b'], 'struct')).toEqual([[], [inBase, inModule], []]);
    expect(split.idsByName('a___b___c')).toEqual([inBase]);
    expect(split.idsByEssentialName('a')).toEqual([]);
  });

  it("agree with a full scan on this machine's vmlinux, for exact and essential names", () => {
    const vmlinux = readKernelBtf();
    const names: string[] = [];
    const kinds: BtfKindName[] = [];
    for (let id = 1; id < vmlinux.typeCount; id++) {
      names.push(vmlinux.nameOf(id));
      kinds.push(vmlinux.kindOf(id));
    }
    const byName = new Map<string, number[]>();
    const byEssential = new Map<string, number[]>();
    names.forEach((n, i) => {
      if (n === '') return;
      byName.set(n, [...(byName.get(n) ?? []), i + 1]);
      if (kinds[i] === 'struct')
        byEssential.set(essentialName(n), [...(byEssential.get(essentialName(n)) ?? []), i + 1]);
    });
    const sample = names.filter((n, i) => n !== '' && i % 251 === 0);
    expect(sample.length).toBeGreaterThan(200);
    for (const query of [...sample, 'task_struct', 'no_such_type_anywhere']) {
      expect(vmlinux.idsByName(query)).toEqual(byName.get(query) ?? []);
      for (const kind of ['func', 'typedef'] as const) {
        expect(vmlinux.idsByName(query, kind)).toEqual(
          (byName.get(query) ?? []).filter((id) => kinds[id - 1] === kind),
        );
      }
      expect(vmlinux.idsByEssentialName(query, 'struct')).toEqual(byEssential.get(essentialName(query)) ?? []);
    }
  });
});
