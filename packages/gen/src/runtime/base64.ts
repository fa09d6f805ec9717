import { GenError } from '../errors.js';

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const values = new Map([...alphabet].map((ch, i) => [ch.charCodeAt(0), i]));

/**
 * The bytes of base64 `text` (padding optional, no whitespace): how `--embed` carries an
 * object inside a generated module, with no platform decoder needed.
 * @throws {@link GenError} `bad-object` for a character outside the alphabet.
 */
export function decodeBase64(text: string): Uint8Array {
  const end = text.replace(/=+$/, '').length;
  const out = new Uint8Array(Math.floor((end * 6) / 8));
  let bits = 0;
  let buffer = 0;
  let at = 0;
  for (let i = 0; i < end; i++) {
    const value = values.get(text.charCodeAt(i));
    if (value === undefined) throw new GenError('bad-object', `embedded object: '${text[i]}' at ${i} is not base64`);
    buffer = ((buffer << 6) | value) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (buffer >> bits) & 0xff;
    }
  }
  return out;
}

/** `bytes` as base64 (with padding), for embedding. */
export function encodeBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const chunk = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = i + 2 < bytes.length ? 4 : i + 1 < bytes.length ? 3 : 2;
    for (let j = 0; j < 4; j++) out += j < chars ? alphabet[(chunk >> (18 - 6 * j)) & 63] : '=';
  }
  return out;
}
