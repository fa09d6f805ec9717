import { readFileSync } from 'node:fs';
import { parseElf } from '@bpfkit/elf';
import { allFixtures, readFixture, requireTool } from '@bpfkit/fixtures';
import { describe, expect, it } from 'vitest';
import {
  type BpftoolJsonType,
  type Btf,
  BtfBuilder,
  bpftoolJsonChunks,
  parseBtf,
  plainType,
  readObjectBtf,
} from '../src/index.js';
import { asBpftool, bpftoolTypes } from './bpftool.js';

const bpftool = requireTool('bpftool', 'bpftool', 'version');
const vmlinuxPath = '/sys/kernel/btf/vmlinux';

function objectBtf(name: string, order: 'el' | 'eb' = 'el'): Btf {
  const object = readObjectBtf(parseElf(readFixture(name, order), { name: `${name}.${order}.o` }));
  if (object === undefined) throw new Error(`${name} has no .BTF`);
  return object.btf;
}

describe.skipIf(!bpftool)('every type decodes as bpftool decodes it', () => {
  it.each(allFixtures().map((f) => [f.label, f] as const))('%s', (_label, fixture) => {
    const btf = objectBtf(fixture.name, fixture.order);
    const ours = btf.decodeAll().map((t) => asBpftool(t));
    expect(ours).toEqual(bpftoolTypes(fixture.path));
  });

  it("this machine's vmlinux (126k types, every kind)", () => {
    const btf = parseBtf(new Uint8Array(readFileSync(vmlinuxPath)));
    const theirs = bpftoolTypes(vmlinuxPath);
    expect(btf.typeCount - 1).toBe(theirs.length);
    const kinds = new Set<string>();
    for (const [index, expected] of theirs.entries()) {
      const type = btf.type(index + 1);
      kinds.add(type.kind);
      const ours = asBpftool(type);
      if (JSON.stringify(ours) !== JSON.stringify(expected)) expect(ours).toEqual(expected);
    }
    expect(kinds.size).toBeGreaterThanOrEqual(18);
  });
});

describe('decoding an object', () => {
  it('reads the seed map definitions with their BTF encodings', () => {
    const btf = objectBtf('map_in_map');
    const inner = btf.byName('inner_map', 'struct');
    expect(inner?.kind).toBe('struct');
    if (inner?.kind !== 'struct') return;
    expect(inner.members.map((m) => [m.name, btf.kindOf(m.type), m.bitOffset])).toEqual([
      ['type', 'ptr', 0],
      ['max_entries', 'ptr', 64],
      ['key', 'ptr', 128],
      ['value', 'ptr', 192],
    ]);
    const maps = btf.byName('.maps', 'datasec');
    expect(maps?.kind === 'datasec' && maps.vars.map((v) => btf.nameOf(v.type))).toEqual([
      'inner_map1',
      'inner_map2',
      'outer_arr',
      'outer_hash',
    ]);
  });

  it('decodes both byte orders to the same types', () => {
    for (const name of ['map_in_map', 'globals_subprogs']) {
      const el = objectBtf(name, 'el');
      const eb = objectBtf(name, 'eb');
      expect(eb.littleEndian).toBe(false);
      expect(eb.decodeAll().map(plainType)).toEqual(el.decodeAll().map(plainType));
    }
  });

  it('finds types by name and kind, and iterates by kind', () => {
    const btf = objectBtf('globals_subprogs');
    expect(btf.byName('scale', 'func')?.kind).toBe('func');
    expect(btf.byName('scale', 'struct')).toBeUndefined();
    expect(btf.byName('no_such_type')).toBeUndefined();
    expect([...btf.types('datasec')].map((t) => t.name).sort()).toEqual([
      '.bss',
      '.data',
      '.data.custom',
      '.rodata',
      '.rodata.custom',
      'license',
    ]);
    // The second lookup goes through the name index; results must not change.
    expect(btf.byName('scale', 'func')?.id).toBe(btf.byName('scale', 'func')?.id);
    expect(btf.allByName('int').every((t) => t.kind === 'int')).toBe(true);
  });

  it('decodes a type once and returns the same object afterwards', () => {
    const btf = objectBtf('map_in_map');
    expect(btf.type(5)).toBe(btf.type(5));
    expect(btf.type(0)).toEqual({ id: 0, kind: 'void', name: '', nameOffset: 0 });
  });
});

describe('decoded types are views on their records', () => {
  const btf = objectBtf('map_in_map');
  const outer = btf.byName('outer_arr', 'var');
  const struct = btf.byName('inner_map', 'struct');

  it('read the same fields as their plain form, which spreads and serialises whole', () => {
    if (struct?.kind !== 'struct' || outer?.kind !== 'var') throw new Error('fixture changed');
    const plain = plainType(struct);
    expect(Object.getPrototypeOf(plain)).toBe(Object.prototype);
    expect(plain).toMatchObject({ id: struct.id, kind: 'struct', name: 'inner_map', size: struct.size });
    expect(plain.members).toEqual(struct.members);
    expect(JSON.parse(JSON.stringify(struct))).toEqual(JSON.parse(JSON.stringify(plain)));
    expect({ ...plainType(outer), linkage: 0 }).toMatchObject({ kind: 'var', name: 'outer_arr', type: outer.type });
  });

  it('are recognised when another copy of the package made them (ESM and CJS loaded together)', () => {
    class ForeignView {
      readonly id = 7;
      get [Symbol.for('@bpfkit/btf-view')]() {
        return true;
      }
      get kind() {
        return 'float' as const;
      }
      get name() {
        return 'double';
      }
      get size() {
        return 8;
      }
    }
    expect({ ...plainType(new ForeignView()) }).toEqual({ id: 7, kind: 'float', name: 'double', size: 8 });
  });

  it('are decoded once and cached, member lists included', () => {
    if (struct?.kind !== 'struct') throw new Error('fixture changed');
    expect(btf.type(struct.id)).toBe(struct);
    expect(struct.members).toBe(struct.members);
  });
});

describe.skipIf(!bpftool)('bpftoolJsonChunks', () => {
  it("streams this machine's vmlinux as the JSON bpftool prints, in bounded pieces", () => {
    const btf = parseBtf(new Uint8Array(readFileSync(vmlinuxPath)), { verified: true });
    let text = '';
    let largest = 0;
    for (const chunk of bpftoolJsonChunks(btf)) {
      largest = Math.max(largest, chunk.length);
      text += chunk;
    }
    expect(largest).toBeLessThan(1 << 17);
    const ours = (JSON.parse(text) as { types: BpftoolJsonType[] }).types.map((t) => asBpftool(t));
    const theirs = bpftoolTypes(vmlinuxPath);
    expect(ours.length).toBe(theirs.length);
    for (const [index, expected] of theirs.entries()) {
      const mine = ours[index];
      if (JSON.stringify(mine) !== JSON.stringify(expected)) expect(mine).toEqual(expected);
    }
  });

  it('writes 64-bit enumerators as exact integers', () => {
    const b = new BtfBuilder();
    b.add({ kind: 'enum64', name: 'big', size: 8, signed: false, values: [{ name: 'TOP', value: 2n ** 64n - 1n }] });
    expect([...bpftoolJsonChunks(parseBtf(b.encode()))].join('')).toBe(
      '{"types":[{"id":1,"kind":"ENUM64","name":"big","encoding":"UNSIGNED","size":8,"vlen":1,"values":[{"name":"TOP","val":18446744073709551615}]}]}',
    );
  });
});
