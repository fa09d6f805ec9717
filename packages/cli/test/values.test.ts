import { describe, expect, it } from 'vitest';
import { parseConstant, UsageError } from '../src/values.js';

describe('parseConstant', () => {
  it.each([
    ['x=12', 12],
    ['x=-12', -12],
    ['x=0x10', 16],
    ['x=-0x10', -16],
    ['x=18446744073709551615', 18446744073709551615n],
  ])('reads %s', (text, value) => {
    expect(parseConstant(text)).toEqual(['x', value]);
  });

  it('refuses what is not a number with a usage error', () => {
    expect(() => parseConstant('x=1.5')).toThrow(UsageError);
    expect(() => parseConstant('x=abc')).toThrow(UsageError);
  });
});
