import { describe, expect, it } from 'vitest';
import { ByteOutput } from '../src/byte-output.js';

/** Everything `out` holds, as text. */
function textOf(out: ByteOutput): string {
  return Buffer.from(out.take(0) ?? new Uint8Array(0)).toString('utf8');
}

describe('ByteOutput', () => {
  it('writes whole numbers in decimal, signs and the largest safe integer included', () => {
    const out = new ByteOutput();
    for (const n of [0, 7, 10, 4294967295, -2147483648, Number.MAX_SAFE_INTEGER]) {
      out.integer(n);
      out.byte(0x20);
    }
    expect(textOf(out)).toBe('0 7 10 4294967295 -2147483648 9007199254740991 ');
  });

  it('writes text as UTF-8, past ASCII too', () => {
    const out = new ByteOutput();
    out.text('ab');
    out.text('≤ é');
    expect(textOf(out)).toBe('ab≤ é');
  });

  it('copies a string section name up to its NUL, or to the end when none follows', () => {
    const section = new Uint8Array([0, 0x61, 0x62, 0, 0x63, 0x64]);
    const out = new ByteOutput();
    out.cString(section, 1);
    out.byte(0x2c);
    out.cString(section, 4);
    out.byte(0x2c);
    out.cString(section, 0);
    expect(textOf(out)).toBe('ab,cd,');
  });

  it('copies short and long ranges alike', () => {
    const source = new TextEncoder().encode('0123456789abcdefghij'.repeat(10));
    const out = new ByteOutput();
    out.copy(source, 2, 5);
    out.copy(source, 0, 20);
    out.copy(source, 20, 200);
    expect(textOf(out)).toBe(`2340123456789abcdefghij${'0123456789abcdefghij'.repeat(9)}`);
  });

  it('moves what was written last in front of a range, and forgets trailing bytes', () => {
    const out = new ByteOutput();
    out.text('>body;');
    const middle = out.length;
    out.text('head ');
    out.rotate(1, middle);
    out.text('\n\n');
    out.drop(1);
    expect(textOf(out)).toBe('>head body;\n');
  });

  it('moves a head in front when the buffer has no room left for it, growing it', () => {
    const out = new ByteOutput();
    const body = 'b'.repeat((1 << 16) - 20);
    out.text('<');
    out.text(body);
    const middle = out.length;
    out.text('struct head_of_it {\n');
    out.rotate(1, middle);
    out.byte(0x3e);
    expect(textOf(out)).toBe(`<struct head_of_it {\n${body}>`);
  });

  it('grows past its first buffer and keeps every byte', () => {
    const out = new ByteOutput();
    for (let i = 0; i < 100_000; i++) out.text('line\n');
    const bytes = out.take(0);
    expect(bytes?.length).toBe(500_000);
    expect(Buffer.from(bytes ?? []).toString('utf8')).toBe('line\n'.repeat(100_000));
  });

  it('hands out nothing below the size asked for, then starts a fresh buffer', () => {
    const out = new ByteOutput();
    expect(out.take(0)).toBeUndefined();
    out.text('abc');
    expect(out.take(4)).toBeUndefined();
    const first = out.take(3);
    out.text('xyz');
    expect(Buffer.from(first ?? []).toString('utf8')).toBe('abc');
    expect(textOf(out)).toBe('xyz');
  });
});
