import { type Btf, type BtfValue, btfCodec, resolveType } from '@bpfkit/btf';
import { readFixture } from '@bpfkit/fixtures';
import { GenError, generateSkeleton } from '@bpfkit/gen';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sectionClassName } from '../src/emit-skeleton.js';
import { readSkeletonModel } from '../src/skeleton-model.js';
import { fixtureTypes } from './fixture-types.js';
import { runGenerated } from './generated-module.js';

/** A generated section class, as the test drives it: attached to bytes, then read and written by variable name. */
type SectionClass = new (
  section: string,
  object: string,
) => Record<string, unknown> & { $attach(bytes: Uint8Array, writable: boolean): void };

/** A live view or array as the test walks it: members or elements by key, and a plain copy. */
type Live = Record<string | number, unknown> & { $value(): unknown };

const isLive = (value: unknown): value is Live =>
  typeof value === 'object' && value !== null && typeof (value as Live).$value === 'function';

/** A variable's value as the accessor gives it: the plain value, or a live view's copy. */
const plain = (value: unknown) => (isLive(value) ? value.$value() : value);

/** Paths to every number, bigint, boolean or string inside `value`, not descending into unions. */
function leafPaths(value: unknown, unions: ReadonlySet<string>, path: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== 'object' || value === null) return [path];
  if (unions.has(path.filter((key) => typeof key === 'string').join('.'))) return [];
  return Object.entries(value).flatMap(([key, inner]) =>
    leafPaths(inner, unions, [...path, Array.isArray(value) ? Number(key) : key]),
  );
}

/** `value` with the leaf at `path` replaced by `leaf` (a deep copy along the path). */
function replaced(value: unknown, path: readonly (string | number)[], leaf: unknown): unknown {
  const [key, ...rest] = path;
  if (key === undefined) return leaf;
  const copy = Array.isArray(value) ? [...value] : { ...(value as object) };
  (copy as Record<string | number, unknown>)[key] = replaced(
    (value as Record<string | number, unknown>)[key],
    rest,
    leaf,
  );
  return copy;
}

/** The member at `path` of a plain value or a live view. */
const memberAt = (value: unknown, path: readonly (string | number)[]) =>
  path.reduce<unknown>((inner, key) => (inner as Record<string | number, unknown>)[key], value);

/** Member paths (names, not indices) of type `id` that are unions: writing one member of a union changes the others. */
function unionPaths(btf: Btf, id: number, path = '', out = new Set<string>()): Set<string> {
  const t = resolveType(btf, id);
  if (t.kind === 'union') out.add(path);
  else if (t.kind === 'array') unionPaths(btf, t.type, path, out);
  else if (t.kind === 'struct')
    t.members.forEach((m, i) => {
      const name = m.name === '' ? `_${i}` : m.name;
      unionPaths(btf, m.type, path === '' ? name : `${path}.${name}`, out);
    });
  return out;
}

/** The outcome of a call: its value, or that it threw. */
function outcome<T>(run: () => T): { value: T } | { threw: true } {
  try {
    return { value: run() };
  } catch {
    return { threw: true };
  }
}

const noNamedTypes = (): number => {
  throw new GenError('type-not-found', 'the test names no types');
};

describe('generated global-variable accessors agree with the BTF codec on every fixture', () => {
  for (const { fixture, label, btf } of fixtureTypes()) {
    const bytes = readFixture(fixture.name, fixture.order);
    const model = readSkeletonModel(bytes, label, {}, noNamedTypes);
    const sections = model.sections.filter((s) => s.variables.length > 0);
    if (sections.length === 0) continue;
    it(`${label}: ${sections.map((s) => `${s.section} (${s.variables.map((v) => v.name).join(', ')})`).join('; ')}`, () => {
      // Embedded, the module has no `import.meta`; its loader and event imports are not used here.
      const text = generateSkeleton(bytes, { object: label, embed: true, name: 'Skel' });
      const module = runGenerated(text, { '@bpfkit/loader': {}, '@bpfkit/events': {} });
      for (const s of sections) {
        const Section = module[sectionClassName('Skel', s)] as SectionClass;
        for (const variable of s.variables) {
          const reference = btfCodec(btf, variable.type);
          fc.assert(
            fc.property(fc.uint8Array({ minLength: s.size, maxLength: s.size }), (memory) => {
              const live = new Section(s.section, label);
              live.$attach(memory, true);
              const value = reference.decode(memory.subarray(variable.offset, variable.offset + variable.size));
              expect(plain(live[variable.name])).toEqual(value);
              // A write replaces the variable's bytes and nothing else, as encoding it would.
              const written = memory.slice();
              live.$attach(written, true);
              const expected = outcome(() => reference.encode(value as BtfValue));
              const actual = outcome(() => {
                live[variable.name] = value;
              });
              expect('threw' in actual).toBe('threw' in expected);
              if (!('value' in expected)) return;
              expect(written.subarray(variable.offset, variable.offset + variable.size)).toEqual(expected.value);
              expect(written.subarray(0, variable.offset)).toEqual(memory.subarray(0, variable.offset));
              expect(written.subarray(variable.offset + variable.size)).toEqual(
                memory.subarray(variable.offset + variable.size),
              );
            }),
            { numRuns: 20 },
          );
          const probe = new Section(s.section, label);
          probe.$attach(new Uint8Array(s.size), true);
          if (!isLive(probe[variable.name])) continue;
          const unions = unionPaths(btf, variable.type);
          const within = (bytes: Uint8Array) => bytes.subarray(variable.offset, variable.offset + variable.size);
          fc.assert(
            fc.property(
              fc.uint8Array({ minLength: s.size, maxLength: s.size }),
              // ASCII, so that most char arrays hold text that fits when written back
              fc.uint8Array({ minLength: variable.size, maxLength: variable.size, max: 0x7f }),
              (memory, other) => {
                const live = new Section(s.section, label);
                live.$attach(memory, true);
                const view = live[variable.name];
                let value = reference.decode(within(memory));
                // Every member and element, in unions too, reads in place as the codec decodes it.
                for (const path of leafPaths(value, new Set()))
                  expect(memberAt(view, path)).toEqual(memberAt(value, path));
                // Each one written in place changes it alone (outside unions, whose members overlap).
                const next = reference.decode(other);
                const outside = [memory.slice(0, variable.offset), memory.slice(variable.offset + variable.size)];
                for (const path of leafPaths(value, unions)) {
                  const leaf = memberAt(next, path);
                  const before = memory.slice();
                  const parent = memberAt(view, path.slice(0, -1)) as Record<string | number, unknown>;
                  const write = outcome(() => {
                    parent[path[path.length - 1] as string | number] = leaf;
                  });
                  if ('threw' in write) {
                    expect(typeof leaf).toBe('string'); // text longer than its char array
                    expect(memory).toEqual(before);
                    continue;
                  }
                  value = replaced(value, path, leaf) as BtfValue;
                  expect(reference.decode(within(memory))).toEqual(value);
                }
                expect([memory.slice(0, variable.offset), memory.slice(variable.offset + variable.size)]).toEqual(
                  outside,
                );
              },
            ),
            { numRuns: 10 },
          );
        }
      }
    });
  }
});
