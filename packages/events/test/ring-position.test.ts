import { isLittleEndianHost } from '@bpfkit/syscall';
import { describe, expect, it } from 'vitest';
import { RingPosition } from '../src/ring-layout.js';

/** A position of a ring of `ringSize` bytes over plain memory, and a way to write it as the kernel does (one u64). */
function position(ringSize: number): { at: RingPosition; write(value: number): void } {
  const bytes = new Uint8Array(8);
  const view = new DataView(bytes.buffer);
  return {
    at: new RingPosition(bytes, ringSize),
    write: (value) => view.setBigUint64(0, BigInt(value), isLittleEndianHost),
  };
}

describe('ring position', () => {
  it('gives the bytes since an earlier position as load() does, also across 4 GiB boundaries', () => {
    const ring = 2 ** 31;
    const cases = [
      [0, 0],
      [8, 40],
      [2 ** 32 - 8, 2 ** 32 + 16],
      [7 * 2 ** 32 - 16, 7 * 2 ** 32 + ring - 16],
      [2 ** 52 - 2 ** 20, 2 ** 52 + 2 ** 20],
    ] as const;
    for (const [earlier, now] of cases) {
      const { at, write } = position(ring);
      write(now);
      expect(at.since(earlier)).toBe(now - earlier);
      expect(at.load() - earlier).toBe(now - earlier);
    }
  });

  it('reads the whole position for a ring above 2 GiB, whose positions can be 4 GiB apart', () => {
    const { at, write } = position(2 ** 32);
    write(2 ** 33 + 2 ** 32 - 8);
    expect(at.since(2 ** 33 - 8)).toBe(2 ** 32);
  });
});
