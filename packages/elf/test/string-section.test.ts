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

  test.prop([fc.oneof(ascii, anyBytes)], { numRuns: 500 })(
    'read every offset the same once the whole section is decoded',
    (bytes) => {
      const section = new StringSection(bytes);
      section.decodeWhole();
      for (let offset = -1; offset <= bytes.length; offset++) expect(section.at(offset)).toBe(naive(bytes, offset));
    },
  );

  test('a leading byte-order mark, which a decoder drops, leaves every offset where it was', () => {
    const bytes = Uint8Array.of(0xef, 0xbb, 0xbf, 0x61, 0, 0x62, 0);
    const section = new StringSection(bytes);
    section.decodeWhole();
    expect([section.at(3), section.at(5), section.at(4)]).toEqual(['a', 'b', '']);
  });

  test('a section past the size decoded whole by default reads the same when decoded whole', () => {
    const names = Array.from({ length: 40_000 }, (_, i) => `name_${i}`);
    const bytes = new TextEncoder().encode(`\0${names.join('\0')}\0`);
    expect(bytes.length).toBeGreaterThan(256 * 1024);
    const byString = new StringSection(bytes);
    const whole = new StringSection(bytes);
    whole.decodeWhole();
    for (const offset of [0, 1, 7, 123_456, bytes.length - 11, bytes.length - 1, bytes.length]) {
      expect(whole.at(offset)).toBe(byString.at(offset));
    }
  });

  test('decode UTF-8 names in a table that is not all ASCII', () => {
    const bytes = new TextEncoder().encode('\0café\0x\0');
    const section = new StringSection(bytes);
    expect([section.at(1), section.at(7), section.at(3)]).toEqual(['café', 'x', 'fé']);
  });
});
