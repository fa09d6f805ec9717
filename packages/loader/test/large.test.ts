import { largeFixture } from '@bpfkit/fixtures';
import { mapReferencesOf } from '@bpfkit/reloc';
import { describe, expect, it } from 'vitest';
import { BpfObject } from '../src/index.js';
import { bpfUnavailable, openFdCount, u32 } from './kernel.js';

const unavailable = bpfUnavailable();
const many = largeFixture('many');
const count = 2000;

describe('an object with 2000 maps and 2000 programs', () => {
  it('opens with every map and program planned', () => {
    using object = BpfObject.open(many);
    expect(object.maps).toHaveLength(count);
    expect(object.programs).toHaveLength(count);
    const last = object.programs.find((p) => p.name === `count_${count - 1}`);
    expect(mapReferencesOf(last?.instructions ?? []).map((r) => r.map)).toEqual([`counter_${count - 1}`]);
  });

  it.skipIf(unavailable !== undefined)(
    'loads into the kernel and closes every descriptor again',
    () => {
      const fdsBefore = openFdCount();
      {
        using object = BpfObject.open(many);
        object.load();
        for (const i of [0, 999, count - 1]) {
          object.program(`count_${i}`).testRun({ data: new Uint8Array(64), repeat: i + 1 });
          const value = object.map(`counter_${i}`).lookup(u32(0)) as Uint8Array;
          expect(new DataView(value.buffer, value.byteOffset).getBigUint64(0, true)).toBe(BigInt(i + 1));
        }
        expect(openFdCount()).toBeGreaterThanOrEqual(fdsBefore + 2 * count);
      }
      expect(openFdCount()).toBe(fdsBefore);
    },
    120_000,
  );
});
