import { type BtfValue, btfCodec } from '@bpfkit/btf';
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
              expect(live[variable.name]).toEqual(value);
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
        }
      }
    });
  }
});
