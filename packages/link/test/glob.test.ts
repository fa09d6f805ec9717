import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteGlob } from '../src/glob.js';
import { globMatcher } from '../src/index.js';

describe('globMatcher', () => {
  const matches = (pattern: string, names: string[]) => names.filter(globMatcher(pattern));
  const names = ['bench_f1', 'bench_f10', 'xbench_f1', 'bench.f1', 'do_sys_open', 'do_sys_openat2', 'bench_', ''];

  it('compares names without wildcards exactly', () => {
    expect(matches('bench_f1', names)).toEqual(['bench_f1']);
  });

  it('matches a prefix, a suffix and wildcards in the middle', () => {
    expect(matches('bench_*', names)).toEqual(['bench_f1', 'bench_f10', 'bench_']);
    expect(matches('*_f1', names)).toEqual(['bench_f1', 'xbench_f1']);
    expect(matches('do_*_open*', names)).toEqual(['do_sys_open', 'do_sys_openat2']);
    expect(matches('*', names)).toEqual(names);
  });

  it('takes ? for exactly one character and every other character literally', () => {
    expect(matches('bench_f?', names)).toEqual(['bench_f1']);
    expect(matches('bench?f1', names)).toEqual(['bench_f1', 'bench.f1']);
    expect(matches('bench.f*', names)).toEqual(['bench.f1']);
    expect(matches('(a|b)*', ['(a|b)x', 'a'])).toEqual(['(a|b)x']);
  });
});

describe('ByteGlob', () => {
  const encoder = new TextEncoder();
  /** `names` as a string table (NUL after each) and where each starts. */
  function table(names: string[]) {
    const starts: number[] = [];
    let at = 0;
    for (const name of names) {
      starts.push(at);
      at += encoder.encode(name).length + 1;
    }
    return { bytes: encoder.encode(names.map((name) => `${name}\0`).join('')), starts };
  }
  const bare = (name: string) => name.split('@')[0] as string;

  it('matches the bare names of a string table as globMatcher matches them decoded', () => {
    // Few characters, so that patterns often match: ASCII, two- and four-byte UTF-8, `@`, and the wildcards.
    const char = fc.constantFrom('a', 'b', '_', 'é', '😀', '@', '\n');
    const name = fc.array(char, { maxLength: 8 }).map((chars) => chars.join(''));
    const pattern = fc
      .array(fc.constantFrom('a', 'b', 'é', '😀', '*', '?', '@'), { maxLength: 6 })
      .map((chars) => chars.join(''));
    fc.assert(
      fc.property(pattern, fc.array(name, { minLength: 1, maxLength: 6 }), (glob, names) => {
        const { bytes, starts } = table(names);
        const byBytes = new ByteGlob(glob);
        const byString = globMatcher(glob);
        names.forEach((n, i) => {
          expect(byBytes.matchesBareName(bytes, starts[i] as number), `${glob} ~ ${n}`).toBe(byString(bare(n)));
        });
      }),
      { numRuns: 2000 },
    );
  });

  it('ends a name at its NUL, its @ or the end of the table', () => {
    const bytes = encoder.encode('bench_f1\0malloc@@GLIBC_2.2.5\0tail');
    expect(new ByteGlob('bench_*').matchesBareName(bytes, 0)).toBe(true);
    expect(new ByteGlob('bench_f1?').matchesBareName(bytes, 0)).toBe(false);
    expect(new ByteGlob('malloc').matchesBareName(bytes, 9)).toBe(true);
    expect(new ByteGlob('*GLIBC*').matchesBareName(bytes, 9)).toBe(false);
    expect(new ByteGlob('tail').matchesBareName(bytes, 29)).toBe(true);
    expect(new ByteGlob('').matchesBareName(bytes, bytes.length)).toBe(true);
  });
});
