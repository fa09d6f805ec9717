import { readFileSync } from 'node:fs';
import { BpfkitError } from '@bpfkit/errors';

/** `name=value` of `--const`: a number (decimal or 0x), a bigint past 2^53, true/false, or `hex:…` bytes. */
export function parseConstant(text: string): [string, number | bigint | boolean | Uint8Array] {
  const at = text.indexOf('=');
  if (at <= 0) throw new UsageError(`--const takes name=value, got '${text}'`);
  const name = text.slice(0, at);
  const value = text.slice(at + 1);
  if (value === 'true' || value === 'false') return [name, value === 'true'];
  if (value.startsWith('hex:')) return [name, parseHex(value.slice(4))];
  if (!/^-?(0x[0-9a-f]+|\d+)$/i.test(value))
    throw new UsageError(`--const ${name}: '${value}' is not a number, true/false or hex:…`);
  // BigInt() reads a sign only on decimals: negate hex by hand.
  const big = value.startsWith('-') ? -BigInt(value.slice(1)) : BigInt(value);
  return [name, big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big];
}

/** Bytes from hex (`0a0b`, `0a 0b`), or from a file with `@path`. */
export function parseData(text: string): Uint8Array {
  if (text.startsWith('@')) return new Uint8Array(readFileSync(text.slice(1)));
  return parseHex(text);
}

function parseHex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, '');
  if (!/^([0-9a-f]{2})*$/i.test(clean)) throw new UsageError(`'${text}' is not hex bytes`);
  return Uint8Array.from(clean.match(/../g) ?? [], (b) => Number.parseInt(b, 16));
}

/** Wrong arguments: exit status 2 with the message. */
export class UsageError extends BpfkitError<'usage', Record<string, never>> {
  static override readonly errorName = 'UsageError';

  constructor(
    /** What is wrong with the arguments. */
    problem: string,
  ) {
    super('usage', problem, {});
  }
}
