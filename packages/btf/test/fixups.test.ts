import { parseElf, SymbolType } from '@bpfkit/elf';
import { allFixtures, readFixture } from '@bpfkit/fixtures';
import { describe, expect, it, vi } from 'vitest';
import {
  allBtfFeatures,
  BtfBuilder,
  BtfError,
  type BtfType,
  datasecFixup,
  encodeBtf,
  fixupDatasecs,
  fixupKsyms,
  parseBtf,
  readObjectBtf,
  sanitizeBtf,
} from '../src/index.js';

const elf = parseElf(readFixture('globals_subprogs'), { name: 'globals_subprogs.el.o' });
const btf = readObjectBtf(elf)?.btf;
if (btf === undefined) throw new Error('no BTF');

describe('DATASEC fix-ups', () => {
  const fixed = fixupDatasecs(btf, elf);
  const datasec = (name: string) => fixed.find((t) => t.kind === 'datasec' && t.name === name);

  it('leaves the parsed BTF untouched', () => {
    expect(btf.byName('.data', 'datasec')).toMatchObject({ size: 0 });
  });

  it('sets each DATASEC size to its ELF section size', () => {
    for (const name of ['.data', '.rodata', '.bss', '.data.custom', '.rodata.custom']) {
      expect(datasec(name)).toMatchObject({ size: elf.sectionByName(name)?.size });
    }
  });

  it('places global variables at their symbol offsets, sorted', () => {
    const rodata = datasec('.rodata');
    if (rodata?.kind !== 'datasec') throw new Error('no .rodata');
    const placed = rodata.vars.map((v) => [fixed[v.type - 1]?.name, v.offset]);
    const symbols = elf.symbols
      .filter((s) => s.type === SymbolType.OBJECT && s.sectionIndex === elf.sectionByName('.rodata')?.index)
      .map((s) => [s.name, s.value])
      .sort((a, b) => (a[1] as number) - (b[1] as number));
    expect(placed).toEqual(symbols);
  });

  it('keeps static variables where clang put them and moves globals to their symbols', () => {
    const before = btf.byName('.bss', 'datasec');
    const after = datasec('.bss');
    if (before?.kind !== 'datasec' || after?.kind !== 'datasec') throw new Error('no .bss');
    const offsets = (d: typeof after) => Object.fromEntries(d.vars.map((v) => [fixed[v.type - 1]?.name, v.offset]));
    // clang writes 0 for every global; the static's in-place offset is already right.
    expect(offsets(before)).toEqual({ hidden_total: 0, zeroed: 0 });
    expect(offsets(after)).toEqual({ hidden_total: 0, zeroed: elf.symbols.find((s) => s.name === 'zeroed')?.value });
    expect(offsets(after).zeroed).toBe(4);
  });

  it('gives each caller a list of its own: edits made by one (as the loader places .kconfig) do not reach the next', () => {
    const first = fixupDatasecs(btf, elf);
    const index = first.findIndex((t) => t.kind === 'datasec' && t.name === '.bss');
    first[index] = { ...(first[index] as BtfType), size: 4096 } as BtfType;
    first.push(first[0] as BtfType);
    const second = fixupDatasecs(btf, elf);
    expect(second).not.toBe(first);
    expect(second).toHaveLength(fixed.length);
    expect(second[index]).toMatchObject({ size: elf.sectionByName('.bss')?.size });
  });

  it('fixes up another ELF of the same BTF against that ELF', () => {
    const other = parseElf(readFixture('globals_subprogs'), { name: 'again.el.o' });
    const again = fixupDatasecs(btf, other);
    expect(again).not.toBe(fixed);
    expect(again.map((t) => t.kind === 'datasec' && t.size)).toEqual(fixed.map((t) => t.kind === 'datasec' && t.size));
  });

  it('encodes to BTF the kernel would accept the layout of', () => {
    const again = parseBtf(encodeBtf(fixed));
    expect(again.byName('.bss', 'datasec')).toMatchObject({ size: 8 });
  });
});

describe('the DATASEC fix-up open needs (datasecFixup)', () => {
  it('gives every type as the full fix-up list does, on every fixture', () => {
    for (const f of allFixtures()) {
      const objectElf = parseElf(readFixture(f.name, f.order), { name: f.label });
      let objectBtf: ReturnType<typeof readObjectBtf>;
      try {
        objectBtf = readObjectBtf(objectElf);
      } catch (error) {
        if (BtfError.is(error)) continue; // the bad_* fixtures whose BTF is refused
        throw error;
      }
      if (objectBtf === undefined) continue;
      let full: BtfType[];
      try {
        full = fixupDatasecs(objectBtf.btf, objectElf);
      } catch (error) {
        expect(() => datasecFixup(objectBtf.btf, objectElf), f.label).toThrow((error as Error).message);
        continue;
      }
      const fixup = datasecFixup(objectBtf.btf, objectElf);
      full.forEach((type, index) => {
        expect(fixup.type(index + 1), `${f.label} [${index + 1}]`).toEqual(type);
        if (type.kind === 'datasec' && full.findIndex((t) => t.kind === 'datasec' && t.name === type.name) === index)
          expect(fixup.datasec(type.name), f.label).toEqual(type);
      });
    }
  });

  it('decodes only DATASECs and their variables, not every type', () => {
    const fresh = readObjectBtf(parseElf(readFixture('globals_subprogs'), { name: 'fresh.el.o' }));
    if (fresh === undefined) throw new Error('no BTF');
    const decodeAll = vi.spyOn(fresh.btf, 'decodeAll');
    const bss = datasecFixup(fresh.btf, elf).datasec('.bss');
    expect(bss).toMatchObject({ size: elf.sectionByName('.bss')?.size });
    expect(decodeAll).not.toHaveBeenCalled();
  });

  it('names no DATASEC the BTF lacks', () => {
    expect(datasecFixup(btf, elf).datasec('.no_such_section')).toBeUndefined();
  });
});

describe('sanitising for older kernels', () => {
  const b = new BtfBuilder();
  const int = b.add({ kind: 'int', name: 'int', size: 4, bits: 32, bitOffset: 0, encoding: 1 });
  const proto = b.add({ kind: 'func_proto', name: '', returnType: int, params: [{ name: 'x', type: int }] });
  b.add({ kind: 'func', name: 'f', type: proto, linkage: 1 });
  const v = b.add({ kind: 'var', name: 'v', type: int, linkage: 1 });
  b.add({ kind: 'datasec', name: '.data', size: 4, vars: [{ type: v, offset: 0, size: 4 }] });
  b.add({ kind: 'float', name: 'double', size: 8 });
  b.add({ kind: 'decl_tag', name: 'tag', type: v, componentIndex: -1, attribute: false });
  b.add({ kind: 'type_tag', name: 'user', type: int, attribute: false });
  b.add({ kind: 'enum64', name: 'e64', size: 8, signed: false, values: [{ name: 'A', value: 1n << 40n }] });
  b.add({ kind: 'enum', name: 'e', size: 4, signed: true, values: [{ name: 'B', value: -1 }] });
  const types = [...parseBtf(b.encode()).decodeAll()];
  const kinds = (list: BtfType[]) => list.map((t) => t.kind);

  it('changes nothing for a kernel with every feature', () => {
    expect(sanitizeBtf(types, allBtfFeatures)).toEqual(types);
  });

  it('rewrites each missing kind into one the kernel knows, keeping ids and sizes', () => {
    const none = {
      datasec: false,
      func: false,
      globalFunc: false,
      float: false,
      declTag: false,
      typeTag: false,
      enum64: false,
    };
    const out = sanitizeBtf(types, none);
    expect(kinds(out)).toEqual([
      'int',
      'enum',
      'typedef',
      'int',
      'struct',
      'struct',
      'int',
      'const',
      'union',
      'enum',
      'int',
    ]);
    expect(out[4]).toMatchObject({ name: '_data', size: 4, members: [{ name: 'v', bitOffset: 0 }] });
    expect(out[5]).toMatchObject({ name: '', size: 8, members: [] });
    expect(out[8]).toMatchObject({ size: 8, members: [{ name: 'A', type: 11 }] });
    expect(out[9]).toMatchObject({ signed: false });
    expect(out[10]).toMatchObject({ name: 'enum64_placeholder', size: 1 });
    expect(out.every((t, i) => t.id === i + 1)).toBe(true);
    expect(() => parseBtf(encodeBtf(out)).decodeAll()).not.toThrow();
  });

  it('makes global functions static when only that is missing', () => {
    const out = sanitizeBtf(types, { ...allBtfFeatures, globalFunc: false });
    expect(out[2]).toMatchObject({ kind: 'func', linkage: 0 });
  });
});

describe('.ksyms fix-up', () => {
  const b = new BtfBuilder();
  const int = b.add({ kind: 'int', name: 'int', size: 4, bits: 32, bitOffset: 0, encoding: 1 });
  const pointer = b.add({ kind: 'ptr', name: '', type: int });
  // extern int kfunc(int *, int named, ...) __ksym;
  const proto = b.add({
    kind: 'func_proto',
    name: '',
    returnType: int,
    params: [
      { name: '', type: pointer },
      { name: 'named', type: int },
      { name: '', type: 0 },
    ],
  });
  const kfunc = b.add({ kind: 'func', name: 'kfunc', type: proto, linkage: 2 });
  b.add({ kind: 'datasec', name: '.ksyms', size: 0, vars: [{ type: kfunc, offset: 0, size: 0 }] });
  const types = [...parseBtf(b.encode()).decodeAll()];

  it('names the unnamed parameters of a kfunc, which the kernel requires, and makes it global', () => {
    fixupKsyms(types);
    expect(types[proto - 1]).toMatchObject({
      params: [
        { name: '__bpfkit_ksym', type: pointer },
        { name: 'named', type: int },
        { name: '', type: 0 },
      ],
    });
    expect(types[kfunc - 1]).toMatchObject({ kind: 'func', linkage: 1 });
    const placeholder = types.find((t) => t.kind === 'var');
    expect(types.find((t) => t.kind === 'datasec')).toMatchObject({
      size: 4,
      vars: [{ type: placeholder?.id, offset: 0, size: 4 }],
    });
    expect(parseBtf(encodeBtf(types)).type(proto)).toMatchObject({ params: [{ name: '__bpfkit_ksym' }, {}, {}] });
  });
});
