import { makeMapSpec } from '@bpfkit/maps';
import { MapType } from '@bpfkit/uapi';
import { describe, expect, it } from 'vitest';
import { slotRefusalHint } from '../src/slot-refusal-hint.js';

const percpu = (name: string, maxEntries: number, valueSize = 8) =>
  makeMapSpec({ name, source: 'btf', section: '.maps', type: MapType.PERCPU_ARRAY, keySize: 4, valueSize, maxEntries });
const outer = makeMapSpec({
  name: 'sets',
  source: 'btf',
  section: '.maps',
  type: MapType.ARRAY_OF_MAPS,
  keySize: 4,
  valueSize: 4,
  maxEntries: 2,
  inner: percpu('sets.inner', 1),
});

describe('the hint of a slot write the kernel refused', () => {
  it('names max_entries of a per-CPU array, which bpfkit leaves to the kernel', () => {
    expect(slotRefusalHint(outer, percpu('wide', 4))).toBe(
      "map 'wide' differs from the inner map prototype 'sets.inner' (PERCPU_ARRAY): max_entries 4 where the prototype has 1; " +
        'the kernel refuses a slot map unlike the prototype: declare the two alike (kernels differ on the map types whose max_entries they compare)',
    );
  });

  it('names every differing field at once', () => {
    const hint = slotRefusalHint(outer, percpu('odd', 4, 16));
    expect(hint).toContain('value_size 16 where the prototype has 8, max_entries 4 where the prototype has 1;');
  });

  it('has nothing to say when the maps are alike or a definition is unknown', () => {
    expect(slotRefusalHint(outer, percpu('same', 1))).toBeUndefined();
    expect(slotRefusalHint(outer, undefined)).toBeUndefined();
    expect(slotRefusalHint({ ...outer, inner: undefined }, percpu('wide', 4))).toBeUndefined();
  });
});
