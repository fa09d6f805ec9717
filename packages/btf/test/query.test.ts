import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readKernelBtf } from '@bpfkit/btf/node';
import { parseElf } from '@bpfkit/elf';
import { readFixture } from '@bpfkit/fixtures';
import { describe, expect, it } from 'vitest';
import {
  alignOf,
  BtfBuilder,
  BtfError,
  type BtfType,
  CoreReloKind,
  essentialName,
  parseBtf,
  plainType,
  readObjectBtf,
  resolveType,
  sizeOf,
  skipQualifiers,
} from '../src/index.js';

/** The `.BTF` of a fixture with structs, pointers, functions and sections. */
function readObjectBtfBytes(): Uint8Array {
  return parseElf(readFixture('core')).sectionByName('.BTF')?.data.slice() as Uint8Array;
}

describe('layout on the kernel BTF', () => {
  const vmlinux = readKernelBtf();

  it('is cached once per process', () => {
    expect(readKernelBtf()).toBe(vmlinux);
  });

  it('is taken as verified from the kernel, and decodes as a fully checked copy does', () => {
    expect(vmlinux.verified).toBe(true);
    const copy = parseBtf(vmlinux.bytes.slice());
    expect(copy.verified).toBe(false);
    const checked = copy.decodeAll();
    const trusted = vmlinux.decodeAll();
    expect(trusted).toHaveLength(checked.length);
    for (let index = 0; index < checked.length; index += 97) {
      expect(plainType(trusted[index] as BtfType)).toEqual(plainType(checked[index] as BtfType));
    }
  });

  it("checks a vmlinux file that is not the kernel's own", () => {
    const dir = mkdtempSync(join(tmpdir(), 'bpfkit-btf-'));
    try {
      const path = join(dir, 'vmlinux');
      writeFileSync(path, vmlinux.bytes);
      expect(readKernelBtf(path).verified).toBe(false);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('gives sizes and alignment of structs, pointers, arrays and typedefs', () => {
    const listHead = vmlinux.byName('list_head', 'struct');
    expect(listHead && sizeOf(vmlinux, listHead.id)).toBe(16);
    expect(listHead && alignOf(vmlinux, listHead.id)).toBe(8);
    const u8 = vmlinux.byName('u8', 'typedef');
    expect(u8 && sizeOf(vmlinux, u8.id)).toBe(1);
    expect(u8 && resolveType(vmlinux, u8.id).kind).toBe('int');
    const task = vmlinux.byName('task_struct', 'struct');
    expect(task?.kind === 'struct' && sizeOf(vmlinux, task.id)).toBe(task?.kind === 'struct' ? task.size : -1);
    const comm = task?.kind === 'struct' ? task.members.find((m) => m.name === 'comm') : undefined;
    expect(comm && sizeOf(vmlinux, comm.type)).toBe(16);
    expect(comm && alignOf(vmlinux, comm.type)).toBe(1);
  });

  it('finds bitfield members with their bit offsets and sizes', () => {
    const task = vmlinux.byName('task_struct', 'struct');
    const bitfields = task?.kind === 'struct' ? task.members.filter((m) => m.bitfieldSize > 0) : [];
    expect(bitfields.length).toBeGreaterThan(0);
    for (const m of bitfields) expect(m.bitfieldSize).toBeLessThanOrEqual(64);
  });

  it('refuses to size a function, with its id and kind', () => {
    const func = vmlinux.byName('schedule', 'func');
    expect(func).toBeDefined();
    try {
      sizeOf(vmlinux, func?.id ?? 0);
      expect.unreachable();
    } catch (error) {
      expect(BtfError.is(error) && error.code).toBe('bad-record');
      expect((error as BtfError).context).toMatchObject({ typeId: func?.id, kind: 'func' });
    }
  });

  it('skips qualifiers without skipping typedefs', () => {
    const constType = [...vmlinux.types('const')].find(
      (t) => vmlinux.kindOf((t as { type: number }).type) === 'typedef',
    );
    expect(constType && skipQualifiers(vmlinux, constType.id).kind).toBe('typedef');
    expect(constType && resolveType(vmlinux, constType.id).kind).not.toBe('typedef');
  });
});

describe('decodeAll', () => {
  it('returns every type once, frozen, the same objects lookups return before and after', () => {
    const btf = parseBtf(readObjectBtfBytes());
    const early = btf.type(3);
    const all = btf.decodeAll();
    expect(all).toHaveLength(btf.typeCount - 1);
    expect(Object.isFrozen(all)).toBe(true);
    expect(all[2]).toBe(early);
    expect(btf.type(5)).toBe(all[4]);
    const named = all.find((t) => t.name !== '');
    expect(named && btf.byName(named.name)).toBe(named);
    expect(btf.decodeAll()).toBe(all);
    expect(all.map((t) => t.id)).toEqual(all.map((_, index) => index + 1));
  });

  it('decodes split BTF from the first id after its base', () => {
    const base = new BtfBuilder();
    const int = base.add({ kind: 'int', name: 'int', size: 4, bits: 32, bitOffset: 0, encoding: 1 });
    const baseBtf = parseBtf(base.encode());
    const split = new BtfBuilder(baseBtf);
    split.add({ kind: 'ptr', name: '', type: int });
    const all = parseBtf(split.encode(), { base: baseBtf }).decodeAll();
    expect(all.map((t) => [t.id, t.kind])).toEqual([[2, 'ptr']]);
  });
});

describe('essential names', () => {
  it.each([
    ['task_struct___v5', 'task_struct'],
    ['task_struct___old___new', 'task_struct___old'],
    ['task_struct', 'task_struct'],
    ['a___b', 'a'],
    ['___x', '___x'],
    ['x____', 'x____'],
    ['x___', 'x___'],
    ['x_____y', 'x_____y'],
  ])('%s → %s', (name, essential) => {
    expect(essentialName(name)).toBe(essential);
  });
});

describe('.BTF.ext', () => {
  const object = readObjectBtf(parseElf(readFixture('globals_subprogs'), { name: 'globals_subprogs.el.o' }));
  const btf = object?.btf;
  const ext = object?.ext;

  it('has func info per section naming each function', () => {
    expect(ext?.recordSizes.funcInfo).toBe(8);
    const xdp = ext?.funcInfo.get('xdp')?.map((f) => [f.insnOffset, btf?.nameOf(f.typeId)]);
    expect(xdp?.map(([, name]) => name)).toEqual(['entry', 'second']);
    const text = ext?.funcInfo.get('.text')?.map((f) => btf?.nameOf(f.typeId));
    expect(text?.sort()).toEqual(['add', 'scale', 'sum_index']);
  });

  it('has line info with file, line, column and source text', () => {
    const lines = ext?.lineInfo.get('xdp') ?? [];
    expect(lines.length).toBeGreaterThan(3);
    const first = lines[0];
    expect(first?.fileName).toMatch(/globals_subprogs\.bpf\.c$/);
    expect(first?.source).toContain('int entry(struct xdp_md *ctx)');
    expect(first?.line).toBe(35);
    expect(lines.every((l, i) => i === 0 || l.insnOffset >= (lines[i - 1]?.insnOffset ?? 0))).toBe(true);
  });

  it('has no CO-RE records in objects that use none', () => {
    expect(ext?.coreRelos.size).toBe(0);
    expect(CoreReloKind.FIELD_BYTE_OFFSET).toBe(0);
    expect(CoreReloKind.TYPE_MATCHES).toBe(12);
  });
});

describe('split BTF', () => {
  it('is built on a base: ids after the base, names after its strings, parsed back whole', () => {
    const b = new BtfBuilder();
    const int = b.add({ kind: 'int', name: 'int', size: 4, bits: 32, bitOffset: 0, encoding: 1 });
    b.add({ kind: 'ptr', name: '', type: int });
    const base = parseBtf(b.encode(), { name: 'vmlinux' });
    const m = new BtfBuilder(base);
    const struct = m.add({
      kind: 'struct',
      name: 'mod_thing',
      size: 8,
      bitfieldEncoding: false,
      members: [
        { name: 'a', type: int, bitOffset: 0, bitfieldSize: 0 },
        { name: 'int', type: int, bitOffset: 32, bitfieldSize: 0 },
      ],
    });
    expect(struct).toBe(base.typeCount);
    const module = parseBtf(m.encode(), { base, name: 'module' });
    expect(module.firstId).toBe(3);
    const thing = module.byName('mod_thing', 'struct');
    expect(thing?.id).toBe(struct);
    // 'int' is written again in the module's own strings; '' reuses the base's offset 0.
    expect(thing?.kind === 'struct' && thing.members.map((x) => [x.name, x.type, sizeOf(module, x.type)])).toEqual([
      ['a', int, 4],
      ['int', int, 4],
    ]);
    expect(module.byName('int', 'int')?.id).toBe(int);
    expect(module.idsByName('int')).toEqual([int]);
  });

  it('continues type ids and string offsets from its base', () => {
    const base = readObjectBtf(parseElf(readFixture('map_in_map')))?.btf;
    if (base === undefined) throw new Error('no BTF');
    const int = base.byName('int', 'int');
    // One TYPEDEF 'my_int' → base int, with its name in the split string section.
    const strings = new TextEncoder().encode('\0my_int\0');
    const blob = new Uint8Array(24 + 12 + strings.length);
    const view = new DataView(blob.buffer);
    view.setUint16(0, 0xeb9f, true);
    view.setUint8(2, 1);
    view.setUint32(4, 24, true);
    view.setUint32(12, 12, true);
    view.setUint32(16, 12, true);
    view.setUint32(20, strings.length, true);
    view.setUint32(24, base.strings.end + 1, true);
    view.setUint32(28, 8 << 24, true);
    view.setUint32(32, int?.id ?? 0, true);
    blob.set(strings, 36);
    const split = parseBtf(blob, { base, name: 'module' });
    expect(split.firstId).toBe(base.typeCount);
    const myInt = split.byName('my_int');
    expect(myInt).toMatchObject({ id: base.typeCount, kind: 'typedef', type: int?.id });
    expect(split.type(int?.id ?? 0)).toBe(int);
    expect(split.byName('inner_map', 'struct')?.id).toBe(base.byName('inner_map', 'struct')?.id);
    expect(sizeOf(split, myInt?.id ?? 0)).toBe(4);
  });
});
