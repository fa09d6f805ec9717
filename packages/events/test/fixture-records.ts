import { expect } from 'vitest';
import { recordSize } from './kernel.js';

/** Checks a record the fixture wrote: sequence, size, and the byte pattern past them. */
export function expectRecord(record: Uint8Array, seq: number): void {
  const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
  expect(view.getUint32(0, true)).toBe(seq);
  expect(record.length).toBe(recordSize(seq));
  expect(view.getUint32(4, true)).toBe(record.length);
  for (let i = 8; i < record.length; i++) if (record[i] !== (i & 0xff)) expect(record[i]).toBe(i & 0xff);
}
