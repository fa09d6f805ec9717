import { MapType } from '@bpfkit/uapi';
import { describe, expect, it } from 'vitest';
import { applyKernelDefaults, makeMapSpec, mapCreateAttributes, ringBufferSize } from '../src/index.js';

const facts = { possibleCpus: 6, pageSize: 4096 };
const map = (type: number, maxEntries: number) =>
  makeMapSpec({ name: 'm', source: 'btf', section: '.maps', type, maxEntries });

describe('ring buffer sizes', () => {
  it.each([
    [4096, 4096],
    [8192, 8192],
    [1, 4096],
    [5000, 8192],
    [3 * 4096, 4 * 4096],
    [256 * 1024 + 1, 512 * 1024],
    [0, 0],
    [0xffffffff, 0xffffffff],
  ])('%d bytes → %d', (size, created) => {
    expect(ringBufferSize(size, 4096)).toBe(created);
  });

  it('counts in the page size it is given', () => {
    expect(ringBufferSize(5000, 16384)).toBe(16384);
    expect(ringBufferSize(3 * 16384, 16384)).toBe(4 * 16384);
  });
});

describe('kernel defaults applied at load', () => {
  it('sizes perf event arrays without max_entries to the possible CPUs, inner definitions too', () => {
    const unsized = map(MapType.PERF_EVENT_ARRAY, 0);
    const sized = map(MapType.PERF_EVENT_ARRAY, 2);
    const outer = map(MapType.ARRAY_OF_MAPS, 1);
    outer.inner = map(MapType.PERF_EVENT_ARRAY, 0);
    applyKernelDefaults([unsized, sized, outer], facts);
    expect([unsized.maxEntries, sized.maxEntries, outer.maxEntries, outer.inner.maxEntries]).toEqual([6, 2, 1, 6]);
  });

  it('rounds ring buffers and user ring buffers, and nothing else', () => {
    const maps = [map(MapType.RINGBUF, 5000), map(MapType.USER_RINGBUF, 4097), map(MapType.ARRAY, 5000)];
    applyKernelDefaults(maps, facts);
    expect(maps.map((m) => m.maxEntries)).toEqual([8192, 8192, 5000]);
  });
});

describe('create attributes', () => {
  it('carry BTF ids only for map types that take them', () => {
    const withIds = (type: number) => ({ ...map(type, 4), btfKeyTypeId: 3, btfValueTypeId: 7, kernelName: 'k' });
    expect(mapCreateAttributes(withIds(MapType.HASH))).toMatchObject({ name: 'k', btfKeyTypeId: 3, btfValueTypeId: 7 });
    expect(mapCreateAttributes(withIds(MapType.PERF_EVENT_ARRAY))).toMatchObject({
      btfKeyTypeId: 0,
      btfValueTypeId: 0,
    });
  });
});
