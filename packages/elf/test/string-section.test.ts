import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { decodeUtf8, StringSection } from '../src/index.js';

/** What a string lookup must give: the bytes from `offset` to the next NUL, as UTF-8. */
function naive(bytes: Uint8Array, offset: number): string | undefined {
  if (offset < 0 || offset >= bytes.length) return undefined;
  const end = bytes.indexOf(0, offset);
  return end < 0 ? undefined : decodeUtf8(bytes.subarray(offset, end));
}

describe('string sections', () => {
  // Tables of ASCII names (decoded whole) and of arbitrary bytes (decoded one by one),
  // probed at every offset, one past the end and a negative one.
  const ascii = fc.array(fc.stringMatching(/^[ -~]{0,12}$/), { maxLength: 20 }).map((names) => {
    const text = `\0${names.join('\0')}\0`;
    return Uint8Array.from(text, (c) => c.charCodeAt(0));
  });
  const anyBytes = fc.uint8Array({ maxLength: 80 });

  test.prop([fc.oneof(ascii, anyBytes)], { numRuns: 500 })('read every offset as a byte-wise decode does', (bytes) => {
    const section = new StringSection(bytes);
    for (let offset = -1; offset <= bytes.length; offset++) expect(section.at(offset)).toBe(naive(bytes, offset));
  });

  test('decode UTF-8 names in a table that is not all ASCII', () => {
    const bytes = new TextEncoder().encode('\0café\0x\0');
    const section = new StringSection(bytes);
    expect([section.at(1), section.at(7), section.at(3)]).toEqual(['café', 'x', 'fé']);
  });
});
