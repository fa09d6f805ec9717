import { decodeUtf8 } from '@bpfkit/elf';
import { describe, expect, it } from 'vitest';
import { readString } from '../src/runtime/values.js';

/** A `char` array of `length` bytes holding `bytes`, zero-padded, at offset 3 of a view. */
function charArray(bytes: number[], length: number): DataView {
  const buffer = new Uint8Array(length + 3);
  buffer.set(bytes.slice(0, length), 3);
  return new DataView(buffer.buffer);
}

describe('readString', () => {
  it.each([
    ['ASCII up to its NUL', [...Buffer.from('bash'), 0, 0x41], 8, 'bash'],
    ['ASCII filling the array, no NUL', [...Buffer.from('kworker/0:1H-kb')], 8, 'kworker/'],
    ['an empty array', [0, 0x41], 4, ''],
    ['UTF-8 past ASCII', [...Buffer.from('héllo ✓'), 0], 16, 'héllo ✓'],
    ['bytes that are not UTF-8', [0x41, 0xff, 0xc3, 0], 4, decodeUtf8(Uint8Array.of(0x41, 0xff, 0xc3))],
  ])('reads %s as the text before the first NUL', (_what, bytes, length, text) => {
    expect(readString(charArray(bytes, length), 3, length)).toBe(text);
  });
});
