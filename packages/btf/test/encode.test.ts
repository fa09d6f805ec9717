import { readFileSync } from 'node:fs';
import { parseElf } from '@bpfkit/elf';
import { allFixtures, readFixture } from '@bpfkit/fixtures';
import { describe, expect, it } from 'vitest';
import { BtfBuilder, IntEncoding, parseBtf, readObjectBtf, reencode, sizeOf } from '../src/index.js';

describe('parse → encode is byte-identical', () => {
  it.each(allFixtures().map((f) => [f.label, f] as const))('%s', (_label, fixture) => {
    const elf = parseElf(readFixture(fixture.name, fixture.order));
    const original = elf.sectionByName('.BTF')?.data as Uint8Array;
    const btf = readObjectBtf(elf)?.btf;
    if (btf === undefined) throw new Error('no BTF');
    expect(reencode(btf.decodeAll(), btf)).toEqual(original);
  });

  it("this machine's vmlinux", () => {
    const bytes = new Uint8Array(readFileSync('/sys/kernel/btf/vmlinux'));
    const btf = parseBtf(bytes);
    const out = reencode(btf.decodeAll(), btf);
    expect(out.length).toBe(bytes.length);
    expect(Buffer.compare(Buffer.from(out), Buffer.from(bytes))).toBe(0);
  });
});

describe('building BTF from scratch', () => {
  it('encodes types that parse back to what was built, in both byte orders', () => {
    const b = new BtfBuilder();
    const int = b.add({ kind: 'int', name: 'int', size: 4, bits: 32, bitOffset: 0, encoding: IntEncoding.SIGNED });
    const u64 = b.add({ kind: 'int', name: 'unsigned long long', size: 8, bits: 64, bitOffset: 0, encoding: 0 });
    const pair = b.add({
      kind: 'struct',
      name: 'pair',
      size: 16,
      bitfieldEncoding: true,
      members: [
        { name: 'low', type: int, bitOffset: 0, bitfieldSize: 3 },
        { name: 'high', type: int, bitOffset: 3, bitfieldSize: 29 },
        { name: 'wide', type: u64, bitOffset: 64, bitfieldSize: 0 },
      ],
    });
    b.add({ kind: 'enum64', name: 'big', size: 8, signed: true, values: [{ name: 'MINUS', value: -5n }] });
    b.add({ kind: 'typedef', name: 'pair_t', type: pair });
    b.add({ kind: 'type_tag', name: 'user', type: int, attribute: false });
    for (const littleEndian of [true, false]) {
      const btf = parseBtf(b.encode({ littleEndian }));
      expect(btf.littleEndian).toBe(littleEndian);
      const decoded = btf.byName('pair', 'struct');
      expect(decoded).toMatchObject({ size: 16, bitfieldEncoding: true });
      expect(decoded?.kind === 'struct' && decoded.members.map((m) => [m.name, m.bitOffset, m.bitfieldSize])).toEqual([
        ['low', 0, 3],
        ['high', 3, 29],
        ['wide', 64, 0],
      ]);
      expect(btf.byName('big')).toMatchObject({
        kind: 'enum64',
        signed: true,
        values: [{ name: 'MINUS', value: -5n }],
      });
      expect(sizeOf(btf, btf.byName('pair_t')?.id ?? 0)).toBe(16);
    }
  });

  it('stores each new string once', () => {
    const b = new BtfBuilder();
    const int = b.add({ kind: 'int', name: 'int', size: 4, bits: 32, bitOffset: 0, encoding: 1 });
    b.add({ kind: 'typedef', name: 'int', type: int });
    const btf = parseBtf(b.encode());
    expect(btf.header.stringLength).toBe('\0int\0'.length);
  });
});
