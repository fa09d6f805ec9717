import { isBpfkitError } from '@bpfkit/errors';
import { describe, expect, it } from 'vitest';
import { GenError } from '../src/index.js';

describe('GenError', () => {
  it('is a bpfkit error with its code, places and values in one sentence', () => {
    const error = new GenError('out-of-range', 'does not fit', {
      object: 'o.o',
      field: 'count',
      expected: '0 to 255',
      actual: '300',
    });
    expect(isBpfkitError(error)).toBe(true);
    expect(GenError.is(error)).toBe(true);
    expect(error.code).toBe('out-of-range');
    expect(error.message).toBe("object 'o.o': 'count': does not fit (expected 0 to 255, got 300)");
  });

  it("adds its places in front of a cause's text instead of repeating it", () => {
    const cause = new GenError('type-not-found', "no type 'event'", { object: 'o.o' });
    const error = new GenError('bad-object', 'cannot make a skeleton', { object: 'o.o' }, { cause });
    expect(error.cause).toBe(cause);
    expect(error.message.match(/object 'o\.o'/g)).toHaveLength(1);
    expect(error.message).toContain("no type 'event'");
  });
});
