import { readFileSync } from 'node:fs';
import { parseElf } from '@bpfkit/elf';
import { allFixtures, readFixture } from '@bpfkit/fixtures';
import { describe, expect, it } from 'vitest';
import { patchRecords } from '../src/encode.js';
import {
  type Btf,
  BtfBuilder,
  BtfStringTable,
  type BtfType,
  datasecFixup,
  encodeBtf,
  fixupDatasecs,
  IntEncoding,
  parseBtf,
  readObjectBtf,
  reencode,
  sizeOf,
} from '../src/index.js';

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

/** A blob of `int`, a VAR `counter` of it and a `.bss` DATASEC holding it (size 0, as the compiler leaves it). */
function counterInBss(littleEndian: boolean): Btf {
  const b = new BtfBuilder();
  const int = b.add({ kind: 'int', name: 'int', size: 4, bits: 32, bitOffset: 0, encoding: IntEncoding.SIGNED });
  b.add({ kind: 'var', name: 'counter', type: int, linkage: 1 });
  b.add({ kind: 'datasec', name: '.bss', size: 0, vars: [{ type: 2, offset: 0, size: 4 }] });
  return parseBtf(b.encode({ littleEndian }));
}

describe('re-encoding edited types', () => {
  // reencode copies the records of types left as decoded, and patchRecords (what
  // prepareObjectBtf sends when only DATASECs change) writes the fixed-up ones over a copy of
  // the blob: both must give what a field-by-field encode of the same list writes.
  const withBtf = allFixtures().filter((f) => readObjectBtf(parseElf(readFixture(f.name, f.order))) !== undefined);
  it.each(withBtf.map((f) => [f.label, f] as const))(
    '%s: fixed-up DATASECs as a full encode writes them, re-encoded or patched over a copy',
    (_label, fixture) => {
      const elf = parseElf(readFixture(fixture.name, fixture.order));
      const btf = readObjectBtf(elf)?.btf;
      if (btf === undefined) throw new Error('no BTF');
      const fixup = datasecFixup(btf, elf);
      const types = fixupDatasecs(btf, elf, fixup);
      const full = encodeBtf(types, { littleEndian: btf.littleEndian, strings: new BtfStringTable(btf.strings.bytes) });
      expect(reencode(types, btf)).toEqual(full);
      expect(patchRecords(btf, fixup.replaced)).toEqual(full);
    },
  );

  it('a type replaced by an edited copy is encoded from the copy, the others copied', () => {
    for (const littleEndian of [true, false]) {
      const btf = counterInBss(littleEndian);
      const types = [...btf.decodeAll()];
      types[2] = { id: 3, kind: 'datasec', name: '.bss', size: 8, vars: [{ type: 2, offset: 4, size: 4 }] };
      types[1] = { id: 2, kind: 'var', name: 'renamed', type: 1, linkage: 1 };
      const again = parseBtf(reencode(types, btf));
      expect(again.littleEndian).toBe(littleEndian);
      expect(again.type(1)).toMatchObject({ kind: 'int', name: 'int', size: 4 });
      expect(again.type(2)).toMatchObject({ kind: 'var', name: 'renamed', linkage: 1 });
      expect(again.type(3)).toMatchObject({ kind: 'datasec', size: 8, vars: [{ type: 2, offset: 4, size: 4 }] });
    }
  });
});

describe('patching records over a copy of the blob', () => {
  it('gives nothing when a replacement changes its record size or adds a string, so the caller re-encodes', () => {
    for (const littleEndian of [true, false]) {
      const btf = counterInBss(littleEndian);
      const wider = {
        id: 3,
        kind: 'datasec',
        name: '.bss',
        size: 8,
        vars: [
          { type: 2, offset: 0, size: 4 },
          { type: 2, offset: 4, size: 4 },
        ],
      } as const;
      expect(patchRecords(btf, new Map([[3, wider]]))).toBeUndefined();
      const renamed = { id: 2, kind: 'var', name: 'renamed', type: 1, linkage: 1 } as const;
      expect(patchRecords(btf, new Map([[2, renamed]]))).toBeUndefined();
      const sized: BtfType = {
        id: 3,
        kind: 'datasec',
        name: '.bss',
        nameOffset: btf.type(3).nameOffset as number,
        size: 8,
        vars: [{ type: 2, offset: 4, size: 4 }],
      };
      const patched = patchRecords(btf, new Map([[3, sized]]));
      expect(patched).toEqual(reencode([btf.type(1), btf.type(2), sized], btf));
      expect(parseBtf(patched as Uint8Array).type(3)).toMatchObject({ size: 8, vars: [{ offset: 4 }] });
    }
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
