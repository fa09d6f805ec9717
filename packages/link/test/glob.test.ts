import { describe, expect, it } from 'vitest';
import { literalPrefix } from '../src/glob.js';
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

describe('literalPrefix', () => {
  it('gives the bytes of a prefix pattern, and nothing where the whole name must be matched', () => {
    expect(literalPrefix('bench_f*')).toEqual(new TextEncoder().encode('bench_f'));
    expect(literalPrefix('*')).toEqual(new Uint8Array(0));
    expect(literalPrefix('ünï*')).toEqual(new TextEncoder().encode('ünï'));
    for (const whole of ['bench', '*_f1', 'a*b*', 'b?*', 'x@y*', '']) expect(literalPrefix(whole)).toBeUndefined();
  });
});
