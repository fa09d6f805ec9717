import { parseElf } from '@bpfkit/elf';
import { readFixture } from '@bpfkit/fixtures';
import { describe, expect, it } from 'vitest';
import { BtfBuilder, BtfError, btfCodec, fixupDatasecs, parseBtf, readObjectBtf, reencode } from '../src/index.js';

describe('btfCodec', () => {
  const b = new BtfBuilder();
  const int = b.add({ kind: 'int', name: 'int', size: 4, bits: 32, bitOffset: 0, encoding: 1 });
  const uint = b.add({ kind: 'int', name: 'unsigned int', size: 4, bits: 32, bitOffset: 0, encoding: 0 });
  const u64 = b.add({ kind: 'int', name: 'unsigned long long', size: 8, bits: 64, bitOffset: 0, encoding: 0 });
  const s64 = b.add({ kind: 'int', name: 'long long', size: 8, bits: 64, bitOffset: 0, encoding: 1 });
  const char = b.add({ kind: 'int', name: 'char', size: 1, bits: 8, bitOffset: 0, encoding: 1 });
  const bool = b.add({ kind: 'int', name: '_Bool', size: 1, bits: 8, bitOffset: 0, encoding: 4 });
  const comm = b.add({ kind: 'array', name: '', type: char, indexType: int, length: 8 });
  const pair = b.add({ kind: 'array', name: '', type: int, indexType: int, length: 2 });
  const record = b.add({
    kind: 'struct',
    name: 'record',
    size: 40,
    bitfieldEncoding: true,
    members: [
      // An unsigned 3-bit field holds 5; a signed one would read it back as -3, as C does.
      { name: 'small', type: uint, bitOffset: 0, bitfieldSize: 3 },
      { name: 'negative', type: int, bitOffset: 3, bitfieldSize: 5 },
      { name: 'flag', type: bool, bitOffset: 8, bitfieldSize: 0 },
      { name: 'name', type: comm, bitOffset: 16, bitfieldSize: 0 },
      { name: 'big', type: u64, bitOffset: 128, bitfieldSize: 0 },
      { name: 'signed_big', type: s64, bitOffset: 192, bitfieldSize: 0 },
      { name: 'pair', type: pair, bitOffset: 256, bitfieldSize: 0 },
    ],
  });
  const value = { small: 5, negative: -3, flag: true, name: 'bpfkit', big: 1n << 63n, signed_big: -2n, pair: [7, -8] };

  for (const littleEndian of [true, false]) {
    it(`round-trips a struct with bitfields, strings, 64-bit and arrays (${littleEndian ? 'little' : 'big'}-endian)`, () => {
      const btf = parseBtf(b.encode({ littleEndian }));
      const codec = btfCodec(btf, record, littleEndian);
      expect(codec.size).toBe(40);
      const bytes = codec.encode(value);
      expect(codec.decode(bytes)).toEqual(value);
      expect(new DataView(bytes.buffer).getBigUint64(16, littleEndian)).toBe(1n << 63n);
    });
  }

  it('refuses values that do not fit, naming the type', () => {
    const codec = btfCodec(parseBtf(b.encode()), record);
    expect(() => codec.encode({ name: 'much too long' })).toThrow(/does not fit char\[8\]/);
    expect(() => codec.encode({ nope: 1 })).toThrow(/has no member 'nope'/);
    expect(() => codec.encode({ small: 'x' })).toThrow(/expected an integer/);
    expect(() => codec.decode(new Uint8Array(3))).toThrow(/3 bytes given for a 40-byte value/);
  });

  it('decodes an object’s global data through its fixed-up DATASEC', () => {
    const elf = parseElf(readFixture('globals_subprogs'));
    const original = readObjectBtf(elf)?.btf;
    if (original === undefined) throw new Error('no BTF');
    const fixed = parseBtf(reencode(fixupDatasecs(original, elf), original));
    const rodata = fixed.byName('.rodata', 'datasec');
    const codec = btfCodec(fixed, rodata?.id ?? 0);
    expect(codec.decode(elf.sectionByName('.rodata')?.data as Uint8Array)).toEqual({
      threshold: 10,
      big_limit: 0x100000000n,
    });
    const custom = btfCodec(fixed, fixed.byName('.rodata.custom', 'datasec')?.id ?? 0);
    expect(custom.decode(elf.sectionByName('.rodata.custom')?.data as Uint8Array)).toEqual({ greeting: 'hello' });
  });
});

describe('btfCodec on BTF the kernel would refuse', () => {
  /** The BtfError `run` throws (failing the test on any other outcome). */
  function btfError(run: () => unknown): BtfError {
    try {
      run();
    } catch (error) {
      if (BtfError.is(error)) return error;
      throw error;
    }
    throw new Error('expected a BtfError');
  }

  it('refuses a struct that contains itself at offset 0 instead of overflowing the stack', () => {
    const b = new BtfBuilder();
    const self = 1;
    b.add({
      kind: 'struct',
      name: 'ouroboros',
      size: 4,
      bitfieldEncoding: false,
      members: [{ name: 'again', type: self, bitOffset: 0, bitfieldSize: 0 }],
    });
    const codec = btfCodec(parseBtf(b.encode()), self);
    const error = btfError(() => codec.decode(new Uint8Array(4)));
    expect(error.code).toBe('reference-cycle');
    expect(error.message).toMatch(/struct 'ouroboros' \[1\] contains itself/);
    expect(btfError(() => codec.encode({ again: { again: {} } })).code).toBe('reference-cycle');
  });

  it('refuses nesting deeper than the kernel resolves', () => {
    const b = new BtfBuilder();
    let inner = b.add({ kind: 'int', name: 'int', size: 4, bits: 32, bitOffset: 0, encoding: 1 });
    for (let level = 0; level < 40; level++) {
      inner = b.add({
        kind: 'struct',
        name: `level${level}`,
        size: 4,
        bitfieldEncoding: false,
        members: [{ name: 'inner', type: inner, bitOffset: 0, bitfieldSize: 0 }],
      });
    }
    const error = btfError(() => btfCodec(parseBtf(b.encode()), inner).decode(new Uint8Array(4)));
    expect(error.code).toBe('too-deep');
  });

  it('refuses 2^32-1 zero-size elements at once instead of building them', () => {
    const b = new BtfBuilder();
    const int = b.add({ kind: 'int', name: 'int', size: 4, bits: 32, bitOffset: 0, encoding: 1 });
    const empty = b.add({ kind: 'struct', name: 'empty', size: 0, bitfieldEncoding: false, members: [] });
    const many = b.add({ kind: 'array', name: '', type: empty, indexType: int, length: 0xffffffff });
    const started = performance.now();
    const error = btfError(() => btfCodec(parseBtf(b.encode()), many).decode(new Uint8Array(0)));
    expect(error.code).toBe('too-large');
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('refuses values whose size is past 32 bits', () => {
    const b = new BtfBuilder();
    const int = b.add({ kind: 'int', name: 'int', size: 4, bits: 32, bitOffset: 0, encoding: 1 });
    const huge = b.add({ kind: 'array', name: '', type: int, indexType: int, length: 0x40000000 });
    expect(btfError(() => btfCodec(parseBtf(b.encode()), huge)).code).toBe('too-large');
  });

  it('refuses a member past its struct’s size, naming it, before reading a byte', () => {
    const b = new BtfBuilder();
    const u64 = b.add({ kind: 'int', name: 'u64', size: 8, bits: 64, bitOffset: 0, encoding: 0 });
    const short = b.add({
      kind: 'struct',
      name: 'short',
      size: 8,
      bitfieldEncoding: false,
      members: [{ name: 'far', type: u64, bitOffset: 64, bitfieldSize: 0 }],
    });
    const codec = btfCodec(parseBtf(b.encode()), short);
    const error = btfError(() => codec.decode(new Uint8Array(8)));
    expect(error.code).toBe('bad-record');
    expect(error.context).toMatchObject({ typeId: short, field: "member 'far'", actual: 'end 16' });
    expect(btfError(() => codec.encode({ far: 1 })).code).toBe('bad-record');
  });

  it('refuses a bitfield past its struct and a member starting inside a byte', () => {
    const b = new BtfBuilder();
    const u32 = b.add({ kind: 'int', name: 'u32', size: 4, bits: 32, bitOffset: 0, encoding: 0 });
    const bits = b.add({
      kind: 'struct',
      name: 'bits',
      size: 4,
      bitfieldEncoding: true,
      members: [{ name: 'wide', type: u32, bitOffset: 30, bitfieldSize: 4 }],
    });
    const odd = b.add({
      kind: 'struct',
      name: 'odd',
      size: 8,
      bitfieldEncoding: false,
      members: [{ name: 'shifted', type: u32, bitOffset: 3, bitfieldSize: 0 }],
    });
    const btf = parseBtf(b.encode());
    expect(btfError(() => btfCodec(btf, bits).decode(new Uint8Array(4))).code).toBe('bad-record');
    expect(btfError(() => btfCodec(btf, odd).decode(new Uint8Array(8))).message).toMatch(/starts inside a byte/);
  });
});
