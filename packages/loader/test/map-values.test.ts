import { fixture } from '@bpfkit/fixtures';
import { BpfSyscallError, possibleCpus } from '@bpfkit/syscall';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BpfObject, LoadError } from '../src/index.js';
import { bpfUnavailable, openFdCount, u32 } from './kernel.js';
import { thrown } from './thrown.js';

const unavailable = bpfUnavailable();

describe.skipIf(unavailable !== undefined)('BpfMap values: per-CPU layout, sizes and ranges', () => {
  const cpus = possibleCpus();
  let obj: BpfObject;
  let fdsBefore = 0;
  beforeAll(() => {
    fdsBefore = openFdCount();
    obj = BpfObject.open(fixture('percpu_maps').path);
    obj.load();
  });
  afterAll(() => {
    obj.close();
    expect(openFdCount()).toBe(fdsBefore);
  });

  it('per-CPU values: one for every CPU, or one per CPU, read back by CPU', () => {
    const stats = obj.map('per_cpu_stats');
    expect(stats.lookupSize).toBe(16 * cpus);
    stats.set(0, { packets: 1, bytes: 2, drops: 3 });
    expect(stats.get(0)).toEqual(Array.from({ length: cpus }, () => ({ packets: 1, bytes: 2, drops: 3 })));
    const distinct = Array.from({ length: cpus }, (_, cpu) => ({ packets: cpu, bytes: cpu * 10, drops: cpu * 100 }));
    stats.set(1, distinct);
    expect(stats.get(1)).toEqual(distinct);
  });

  it('an array-typed per-CPU value: a flat array is one value, an array of arrays one per CPU', () => {
    const lists = obj.map('per_cpu_lists');
    lists.set(0, [1, 2, 3]);
    expect(lists.get(0)).toEqual(Array.from({ length: cpus }, () => [1, 2, 3]));
    const distinct = Array.from({ length: cpus }, (_, cpu) => [cpu, cpu + 1, cpu + 2]);
    lists.set(1, distinct);
    expect(lists.get(1)).toEqual(distinct);
  });

  it('per-CPU set with the wrong number of values: a LoadError naming the map, both counts and a hint', () => {
    const stats = obj.map('per_cpu_stats');
    const one = { packets: 9, bytes: 9, drops: 9 };
    for (const count of [1, cpus + 1]) {
      const error = thrown(() =>
        stats.set(
          2,
          Array.from({ length: count }, () => one),
        ),
      );
      expect(LoadError.is(error)).toBe(true);
      expect(error).toMatchObject({
        step: 'use',
        context: { map: 'per_cpu_stats', expected: `${cpus} values`, actual: `${count} values` },
      });
      expect((error as LoadError).message).toMatch(/one per possible CPU.* — give an array of \d+ values/);
    }
    expect(stats.get(2)).toEqual(Array.from({ length: cpus }, () => ({ packets: 0, bytes: 0, drops: 0 })));
  });

  it('keys out of the u32 range are refused, not wrapped onto key 0', () => {
    const totals = obj.map('totals');
    for (const key of [2 ** 33, -1, 1.5, 2n ** 32n]) {
      const error = thrown(() => totals.set(key, 7n));
      expect(LoadError.is(error)).toBe(true);
      expect(error).toMatchObject({ step: 'use', context: { map: 'totals' } });
      expect((error as Error).message).toMatch(
        /^object 'percpu_maps.el.o': map 'totals': type \[\d+\] typedef: key: .*(does not fit|expected an integer)/,
      );
    }
    expect([...totals.keys()]).toEqual([]);
    totals.set(2 ** 32 - 1, 7n);
    expect(totals.get(2 ** 32 - 1)).toBe(7n);
    expect(totals.get(0)).toBeUndefined();
    expect(totals.delete(u32(2 ** 32 - 1))).toBe(true);
  });

  it('values out of their type range are refused', () => {
    const stats = obj.map('per_cpu_stats');
    const error = thrown(() => stats.set(3, { packets: 2 ** 32, bytes: 0, drops: 0 }));
    expect(LoadError.is(error)).toBe(true);
    expect((error as Error).message).toMatch(
      /^object 'percpu_maps.el.o': map 'per_cpu_stats': type \[\d+\] struct: value: .*does not fit an unsigned 32-bit integer/,
    );
  });

  it('update and lookup refuse bytes of the wrong size instead of padding or truncating them', () => {
    const totals = obj.map('totals');
    for (const [key, value, field] of [
      [u32(5), new Uint8Array(4), 'value'],
      [u32(5), new Uint8Array(16), 'value'],
      [new Uint8Array(2), new Uint8Array(8), 'key'],
      [new Uint8Array(8), new Uint8Array(8), 'key'],
    ] as const) {
      const error = thrown(() => totals.update(key, value));
      expect(BpfSyscallError.is(error)).toBe(true);
      expect(error).toMatchObject({ code: 'invalid', context: { map: 'totals', field } });
      expect((error as BpfSyscallError).hint).toBeDefined();
    }
    expect(BpfSyscallError.is(thrown(() => totals.lookup(new Uint8Array(8))))).toBe(true);
    const stats = obj.map('per_cpu_stats');
    const error = thrown(() => stats.update(u32(0), new Uint8Array(12)));
    expect(error).toMatchObject({
      context: { map: 'per_cpu_stats', field: 'value', expected: `${16 * cpus} bytes`, actual: '12 bytes' },
    });
    expect([...totals.keys()]).toEqual([]);
  });
});

describe.skipIf(unavailable !== undefined)('BpfMap keys of maps without BTF', () => {
  it('a number key of a 4-byte key outside the u32 range is refused, not wrapped onto key 0', () => {
    using obj = BpfObject.open(fixture('legacy_maps').path);
    obj.load();
    const array = obj.map('legacy_array');
    expect(array.spec.btfKeyTypeId).toBe(0);
    const value = u32(7);
    for (const key of [2 ** 33, 2 ** 32, -1, 1.5, 2n ** 32n, 'abc']) {
      const error = thrown(() => array.set(key, value));
      expect(LoadError.is(error)).toBe(true);
      expect(error).toMatchObject({
        step: 'use',
        context: { map: 'legacy_array', expected: '0 to 4294967295', actual: String(key) },
      });
    }
    expect(array.lookup(u32(0))).toEqual(new Uint8Array(4));
    array.set(3, value);
    expect(array.lookup(u32(3))).toEqual(value);
  });
});
