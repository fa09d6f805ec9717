import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyMutations, fuzzCases } from '../mutate.js';
import { structuredTargets } from '../structures.js';
import { isTypedError, targets } from '../targets.js';

const regressions = readdirSync(new URL('../regressions/', import.meta.url)).filter((f) => f.endsWith('.bin'));

/**
 * CI's short, seeded pass of `npm run fuzz`: every entry point either succeeds or throws its
 * typed error on mutated fixtures. fast-check shrinks any other exception to a minimal case.
 */
describe('fuzzing every parser entry point (short seeded pass)', () => {
  it.each(targets.map((t) => [t.name, t] as const))('%s throws nothing but typed errors', (_name, target) => {
    let rejected = 0;
    fc.assert(
      fc.property(fuzzCases(target.seeds.length), (c) => {
        try {
          target.run(applyMutations(target.seeds[c.seed] as Uint8Array, c.mutations), c.seed);
        } catch (error) {
          if (!isTypedError(error)) throw error;
          rejected++;
        }
      }),
      { numRuns: 1500, seed: 20261125 },
    );
    // The mutations must reach the checks: some inputs rejected, some still accepted.
    expect(rejected).toBeGreaterThan(0);
    expect(rejected).toBeLessThan(1500);
  });

  // Inputs that once escaped as untyped exceptions, kept as fuzz/regressions/<target>-<what>.bin.
  it.each(regressions.map((file) => [file] as const))('regression %s is rejected with a typed error', (file) => {
    const target = targets.find((t) => file.startsWith(`${t.name}-`));
    expect(target).toBeDefined();
    const input = new Uint8Array(readFileSync(new URL(`../regressions/${file}`, import.meta.url)));
    let thrown: unknown;
    try {
      target?.run(input, 0);
    } catch (error) {
      thrown = error;
    }
    expect(isTypedError(thrown)).toBe(true);
  });

  // Structure-aware inputs: typed errors are swallowed or counted, anything else fails.
  it.each(structuredTargets.map((t) => [t.name, t] as const))(
    '%s (structure-aware) throws nothing but typed errors',
    { timeout: 120_000 },
    (_name, target) => {
      fc.assert(
        fc.property(target.arbitrary, (input) => {
          try {
            target.run(input);
          } catch (error) {
            if (!isTypedError(error)) throw error;
          }
        }),
        { numRuns: 40, seed: 20261129 },
      );
    },
  );

  it('applies mutations without touching the seed', () => {
    const seed = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    const out = applyMutations(seed, [
      { kind: 'byte', at: 9, value: 0xaa },
      { kind: 'inflate', at: 6, value: 0xffffffff, littleEndian: true },
      { kind: 'truncate', at: 7 },
    ]);
    expect([...out]).toEqual([1, 0xaa, 3, 4, 0xff, 0xff, 0xff]);
    expect([...seed]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});
