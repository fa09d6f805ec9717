import { describe, expect, it } from 'vitest';
import { BpfkitError, type BpfkitErrorOptions, foundValues, isBpfkitError } from '../src/index.js';

interface PlaceContext {
  readonly map?: string;
  readonly slot?: number;
  readonly expected?: number;
  readonly actual?: number;
}

class OuterError extends BpfkitError<'outer', PlaceContext> {
  static override readonly errorName = 'OuterError';
  constructor(problem: string, context: PlaceContext = {}, options: BpfkitErrorOptions = {}) {
    super('outer', problem, context, {
      ...options,
      places: [
        ...(context.map === undefined ? [] : [{ kind: 'map', text: `map '${context.map}'` }]),
        ...(context.slot === undefined ? [] : [{ kind: 'slot', text: `slot [${context.slot}]` }]),
      ],
      detail: foundValues(context.expected, context.actual),
    });
  }
}

class InnerError extends BpfkitError<'inner', PlaceContext> {
  static override readonly errorName = 'InnerError';
  constructor(problem: string, context: PlaceContext = {}, options: BpfkitErrorOptions = {}) {
    super('inner', problem, context, {
      ...options,
      places: context.map === undefined ? [] : [{ kind: 'map', text: `map '${context.map}'` }],
    });
  }
}

describe('BpfkitError', () => {
  it('reads as places, problem, values found and hint', () => {
    const error = new OuterError(
      'is past the end',
      { map: 'outer', slot: 3, expected: 2, actual: 3 },
      { hint: 'grow it' },
    );
    expect(error.message).toBe("map 'outer': slot [3]: is past the end (expected 2, got 3) — grow it");
    expect(error.problem).toBe('is past the end');
    expect(error.hint).toBe('grow it');
    expect(error.code).toBe('outer');
    expect(error.name).toBe('OuterError');
  });

  it('a wrapping error names a place both share once and adds its problem before the cause text', () => {
    const inner = new InnerError('BPF_MAP_CREATE failed: EINVAL', { map: 'events' }, { hint: 'check max_entries' });
    const outer = new OuterError('create', { map: 'events' }, { cause: inner });
    expect(outer.message).toBe("map 'events': create: BPF_MAP_CREATE failed: EINVAL — check max_entries");
    expect(outer.cause).toBe(inner);
  });

  it("keeps the cause's places the wrapper does not name, and its own name for a kind both name", () => {
    const inner = new InnerError('refused', { map: 'x_truncated' });
    expect(new OuterError('load', { slot: 1 }, { cause: inner }).message).toBe(
      "slot [1]: map 'x_truncated': load: refused",
    );
    expect(new OuterError('load', { map: 'x_long_name' }, { cause: inner }).message).toBe(
      "map 'x_long_name': load: refused",
    );
  });

  it('puts the object first, whoever names it', () => {
    class ObjectError extends BpfkitError<'object', { object: string }> {
      static override readonly errorName = 'ObjectError';
      constructor(object: string) {
        super('object', 'bad type', { object }, { places: [{ kind: 'object', text: `object '${object}'` }] });
      }
    }
    const outer = new OuterError('key', { map: 'totals' }, { cause: new ObjectError('o.bpf.o') });
    expect(outer.message).toBe("object 'o.bpf.o': map 'totals': key: bad type");
  });

  it('an empty problem passes the cause on with the wrapper places only', () => {
    const inner = new InnerError('refused', { map: 'm' });
    expect(new OuterError('', { slot: 2 }, { cause: inner }).message).toBe("slot [2]: map 'm': refused");
  });

  it('a plain Error as cause ends the message with its text', () => {
    expect(new OuterError('read', {}, { cause: new Error('EIO') }).message).toBe('read: EIO');
  });

  it('is() tells the classes apart by brand and name, across copies, and refuses look-alikes', () => {
    const outer = new OuterError('x');
    expect(OuterError.is(outer)).toBe(true);
    expect(InnerError.is(outer)).toBe(false);
    expect(isBpfkitError(outer)).toBe(true);
    // A copy from another module instance: same brand and name, another class object.
    const copy = Object.assign(new Error('copy'), { [Symbol.for('@bpfkit/error')]: true, name: 'OuterError' });
    expect(OuterError.is(copy)).toBe(true);
    expect(OuterError.is(Object.assign(new Error('x'), { name: 'OuterError' }))).toBe(false);
    expect(isBpfkitError(null)).toBe(false);
    expect(isBpfkitError('OuterError')).toBe(false);
  });
});

describe('a wrapping error that sums up its cause', () => {
  it('leaves the cause text out but keeps the cause', () => {
    const inner = new InnerError('BPF_PROG_LOAD failed: EACCES; log: R0 invalid mem access', { map: 'm' });
    const outer = new OuterError(
      'load failed at insn 3: R0 invalid mem access',
      {},
      { cause: inner, causeInMessage: false },
    );
    expect(outer.message).toBe("map 'm': load failed at insn 3: R0 invalid mem access");
    expect(outer.cause).toBe(inner);
  });
});
