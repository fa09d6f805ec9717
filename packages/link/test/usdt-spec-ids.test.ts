import { describe, expect, it } from 'vitest';
import { UsdtSpecIds } from '../src/usdt-spec-ids.js';

describe('USDT spec ids', () => {
  it('are handed out lowest first, and freed ids are taken again before higher ones', () => {
    const ids = new UsdtSpecIds(8);
    expect(ids.take(1)).toEqual([0]);
    expect(ids.take(3)).toEqual([1, 2, 3]);
    expect(ids.take(1)).toEqual([4]);
    ids.release([1, 3]);
    expect(ids.take(3)).toEqual([1, 3, 5]);
    ids.release([0]);
    expect(ids.take(1)).toEqual([0]);
    expect(ids.take(1)).toEqual([6]);
  });

  it('take nothing when fewer are free than asked, leaving the free ones free', () => {
    const ids = new UsdtSpecIds(4);
    expect(ids.take(2)).toEqual([0, 1]);
    expect(ids.take(3)).toBeUndefined();
    expect(ids.take(2)).toEqual([2, 3]);
    expect(ids.take(1)).toBeUndefined();
    ids.release([2]);
    expect(ids.take(1)).toEqual([2]);
  });

  it('ignore ids released twice or never taken', () => {
    const ids = new UsdtSpecIds(4);
    expect(ids.take(2)).toEqual([0, 1]);
    ids.release([1]);
    ids.release([1, 3]);
    expect(ids.take(3)).toEqual([1, 2, 3]);
  });
});
