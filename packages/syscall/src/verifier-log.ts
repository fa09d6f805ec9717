import { decodeLog } from './text.js';

/** The verifier's largest accepted log buffer (`UINT_MAX >> 2`), the ceiling for growth on ENOSPC. */
export const MAX_LOG_SIZE = 0xffffffff >>> 2;

/** Lines of a kernel log buffer, up to its NUL. */
export function logLines(buffer: Uint8Array): string[] {
  const end = buffer.indexOf(0);
  const text = decodeLog(end < 0 ? buffer : buffer.subarray(0, end));
  return text.split('\n').filter((line, i, all) => line !== '' || i < all.length - 1);
}

/**
 * The instruction index the verifier stopped at: the last line of the form `N: (xx) …` or
 * `N: …` before the error message, or `undefined` when the log names none.
 */
export function failingInstruction(lines: readonly string[]): number | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const match = /^(\d+): /.exec(lines[i] as string);
    if (match !== null) return Number(match[1]);
  }
  return undefined;
}
