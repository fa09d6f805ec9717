import { parseElf } from '@bpfkit/elf';
import { readFixture } from '@bpfkit/fixtures';
import { describe, expect, it } from 'vitest';
import {
  type Btf,
  BtfBuilder,
  BtfStringTable,
  type BtfType,
  encodeBtf,
  formatC,
  formatCBytes,
  parseBtf,
  readObjectBtf,
} from '../src/index.js';

const intType = { kind: 'int', name: 'int', size: 4, bits: 32, bitOffset: 0, encoding: 1 } as const;

/** A blob whose string section holds `dup` twice (offsets 1 and 5), named by the types given. */
function twoCopiesOfDup(types: readonly BtfType[]): Btf {
  const seed = new Uint8Array([0, 0x64, 0x75, 0x70, 0, 0x64, 0x75, 0x70, 0]);
  return parseBtf(encodeBtf(types, { strings: new BtfStringTable(seed) }));
}

describe('formatC read from the records', () => {
  it('gives one name held at two string offsets one claim count: the second type is dup___2', () => {
    const btf = twoCopiesOfDup([
      { id: 1, kind: 'struct', name: 'dup', nameOffset: 1, size: 0, bitfieldEncoding: false, members: [] },
      { id: 2, kind: 'struct', name: 'dup', nameOffset: 5, size: 0, bitfieldEncoding: false, members: [] },
      {
        id: 3,
        kind: 'enum',
        name: '',
        size: 4,
        signed: false,
        values: [
          { name: 'dup', nameOffset: 1, value: 1 },
          { name: 'dup', nameOffset: 5, value: 2 },
        ],
      },
    ]);
    expect(btf.type(1).nameOffset).toBe(1);
    expect(btf.type(2).nameOffset).toBe(5);
    const header = formatC(btf);
    expect(header).toContain('struct dup {};');
    expect(header).toContain('struct dup___2 {};');
    expect(header).toContain('\tdup = 1,\n\tdup___2 = 2,');
  });

  it('numbers names past the first thousand claims (the claim table grows) as a name-by-name count does', () => {
    const b = new BtfBuilder();
    for (let i = 0; i < 3000; i++) {
      b.add({ kind: 'struct', name: `s${i % 1500}`, size: 0, bitfieldEncoding: false, members: [] });
    }
    const header = formatC(parseBtf(b.encode()));
    const seen = new Map<string, number>();
    const expected: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const name = `s${i % 1500}`;
      const count = (seen.get(name) ?? 0) + 1;
      seen.set(name, count);
      expected.push(count === 1 ? name : `${name}___${count}`);
    }
    expect([...header.matchAll(/^struct (\w+) \{\};$/gm)].map(([, name]) => name)).toEqual(expected);
  });

  it('prints split BTF with the base types it uses, ids and names continuing from the base', () => {
    const base = new BtfBuilder();
    const int = base.add(intType);
    base.add({
      kind: 'struct',
      name: 'pair',
      size: 8,
      bitfieldEncoding: false,
      members: [
        { name: 'a', type: int, bitOffset: 0, bitfieldSize: 0 },
        { name: 'b', type: int, bitOffset: 32, bitfieldSize: 0 },
      ],
    });
    const baseBtf = parseBtf(base.encode());
    const split = new BtfBuilder(baseBtf);
    const pair = split.add({
      kind: 'struct',
      name: 'pair',
      size: 4,
      bitfieldEncoding: false,
      members: [{ name: 'only', type: int, bitOffset: 0, bitfieldSize: 0 }],
    });
    split.add({
      kind: 'struct',
      name: 'holder',
      size: 12,
      bitfieldEncoding: false,
      members: [
        { name: 'base', type: 2, bitOffset: 0, bitfieldSize: 0 },
        { name: 'own', type: pair, bitOffset: 64, bitfieldSize: 0 },
      ],
    });
    const btf = parseBtf(split.encode(), { base: baseBtf });
    expect(btf.firstId).toBe(3);
    const header = formatC(btf);
    expect(header).toContain('struct pair {\n\tint a;\n\tint b;\n};');
    expect(header).toContain('struct pair___2 {\n\tint only;\n};');
    expect(header).toContain('struct holder {\n\tstruct pair base;\n\tstruct pair___2 own;\n};');
  });

  it('hands the header out as bytes in pieces of at least the size asked for, which join to formatC', () => {
    const object = readObjectBtf(parseElf(readFixture('btf_map_in_map')));
    const btf = object?.btf as Btf;
    const pieces = [...formatCBytes(btf, {}, 40)];
    expect(pieces.length).toBeGreaterThan(2);
    for (const piece of pieces.slice(0, -1)) expect(piece.length).toBeGreaterThanOrEqual(40);
    expect(Buffer.concat(pieces).toString('utf8')).toBe(formatC(btf));
    // Each piece is its own: none shares the bytes of another.
    expect(new Set(pieces.map((piece) => piece.buffer)).size).toBe(pieces.length);
  });
});
