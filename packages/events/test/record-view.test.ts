import { isLittleEndianHost } from '@bpfkit/syscall';
import { describe, expect, it } from 'vitest';
import { RecordView } from '../src/index.js';

describe('record view', () => {
  const bytes = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1);
  const dataView = new DataView(bytes.buffer);

  it('reads host-order u32 at aligned and unaligned offsets alike', () => {
    const view = new RecordView(bytes);
    view.offset = 4;
    view.length = 24;
    for (let at = 0; at <= 24; at++) {
      expect(view.u32(at)).toBe(dataView.getUint32(4 + at, isLittleEndianHost));
    }
  });

  it('throws a RangeError for a u32 read past the end of its bytes, aligned or not', () => {
    const view = new RecordView(bytes);
    view.offset = 16;
    expect(() => view.u32(16)).toThrow(RangeError);
    expect(() => view.u32(15)).toThrow(RangeError);
    expect(() => view.u32(-20)).toThrow(RangeError);
  });
});
