import { type Btf, BtfBuilder, parseBtf, readObjectBtf } from '@bpfkit/btf';
import { parseElf } from '@bpfkit/elf';
import { readFixture } from '@bpfkit/fixtures';
import { MapFlag, MapType } from '@bpfkit/uapi';
import { describe, expect, it } from 'vitest';
import {
  layoutStructOps,
  MapError,
  type MapSpec,
  resolveMaps,
  structOpsAttachments,
  structOpsValue,
} from '../src/index.js';

function open(name: string): { maps: MapSpec[]; btf: Btf } {
  const elf = parseElf(readFixture(name), { name: `${name}.el.o` });
  const btf = readObjectBtf(elf)?.btf as Btf;
  return { maps: resolveMaps(elf, btf), btf };
}

/**
 * A kernel BTF with `struct bpf_dummy_ops` of function pointers (`test_1`, `test_2`,
 * `test_sleepable` unless other names are given) and its wrapper `bpf_struct_ops_bpf_dummy_ops`
 * holding it at byte 16.
 */
function kernelBtf(names: readonly string[] = ['test_1', 'test_2', 'test_sleepable']): Btf {
  const b = new BtfBuilder();
  const int = b.add({ kind: 'int', name: 'int', size: 4, bits: 32, bitOffset: 0, encoding: 1 });
  const proto = b.add({ kind: 'func_proto', name: '', returnType: int, params: [] });
  const pointer = b.add({ kind: 'ptr', name: '', type: proto });
  const members = names.map((name, i) => ({ name, type: pointer, bitOffset: i * 64, bitfieldSize: 0 }));
  const size = 8 * members.length;
  const struct = b.add({ kind: 'struct', name: 'bpf_dummy_ops', size, bitfieldEncoding: false, members });
  b.add({
    kind: 'struct',
    name: 'bpf_struct_ops_bpf_dummy_ops',
    size: 16 + size,
    bitfieldEncoding: false,
    members: [
      { name: 'common', type: int, bitOffset: 0, bitfieldSize: 0 },
      { name: 'data', type: struct, bitOffset: 128, bitfieldSize: 0 },
    ],
  });
  return parseBtf(b.encode());
}

describe('struct_ops variables', () => {
  it('become STRUCT_OPS maps with the programs their function pointers name', () => {
    const { maps } = open('struct_ops');
    const dummy = maps.find((m) => m.name === 'dummy') as MapSpec;
    expect(dummy).toMatchObject({
      source: 'struct_ops',
      section: '.struct_ops',
      type: MapType.STRUCT_OPS,
      keySize: 4,
      valueSize: 16,
      maxEntries: 1,
      flags: 0,
      btfValueTypeId: 0,
    });
    expect(dummy.structOps?.typeName).toBe('bpf_dummy_ops');
    expect(dummy.structOps?.programs).toEqual([
      { member: 'test_2', program: 'second' },
      { member: 'test_1', program: 'first' },
    ]);
  });

  it('of .struct_ops.link are created with BPF_F_LINK and keep their data bytes', () => {
    const { maps } = open('struct_ops_link');
    const cc = maps.find((m) => m.name === 'fixture_cc') as MapSpec;
    expect(cc.flags).toBe(MapFlag.LINK);
    expect(new TextDecoder().decode(cc.structOps?.data.subarray(0, 14))).toBe('bpfkit_fixture');
    expect(cc.structOps?.programs.map((p) => p.program).sort()).toEqual([
      'fixture_cong_avoid',
      'fixture_ssthresh',
      'fixture_undo_cwnd',
    ]);
  });
});

describe('struct_ops layout against a kernel BTF', () => {
  const { maps, btf } = open('struct_ops');
  const dummy = maps.find((m) => m.name === 'dummy') as MapSpec;

  it('places members by name in the kernel struct inside its value type', () => {
    const kernel = kernelBtf();
    const layout = layoutStructOps(dummy, btf, [kernel]);
    expect(layout.value.length).toBe(40);
    expect(layout.kernelTypeId).toBe(kernel.byName('bpf_dummy_ops', 'struct')?.id);
    expect(layout.valueTypeId).toBe(kernel.byName('bpf_struct_ops_bpf_dummy_ops', 'struct')?.id);
    // The object lists test_2 first; the kernel has test_1 at 0, test_2 at 8, after a 16-byte header.
    expect(layout.programs).toEqual([
      { program: 'second', member: 'test_2', memberIndex: 1, valueOffset: 24 },
      { program: 'first', member: 'test_1', memberIndex: 0, valueOffset: 16 },
    ]);
    const value = structOpsValue(layout, (p) => (p === 'first' ? 7 : 9), true);
    const view = new DataView(value.buffer);
    expect([16, 24, 32].map((at) => view.getBigUint64(at, true))).toEqual([7n, 9n, 0n]);
  });

  it('searches the kernel BTFs in order and takes the first with the value type', () => {
    const empty = parseBtf(new BtfBuilder().encode());
    const kernel = kernelBtf();
    expect(layoutStructOps(dummy, btf, [empty, kernel]).btf).toBe(kernel);
  });

  it('refuses a kernel without the value type, naming it', () => {
    const empty = parseBtf(new BtfBuilder().encode());
    expect(() => layoutStructOps(dummy, btf, [empty], 'o')).toThrow(
      expect.objectContaining({
        code: 'missing-type',
        context: expect.objectContaining({ map: 'dummy' }),
        hint: expect.stringContaining('load the module that registers'),
      }),
    );
  });

  it('refuses a member the kernel has with another kind', () => {
    const { maps: linkMaps, btf: linkBtf } = open('struct_ops_link');
    const cc = linkMaps.find((m) => m.name === 'fixture_cc') as MapSpec;
    // A kernel "tcp_congestion_ops" whose `name` is a pointer, not an array.
    const b = new BtfBuilder();
    const int = b.add({ kind: 'int', name: 'int', size: 4, bits: 32, bitOffset: 0, encoding: 0 });
    const proto = b.add({ kind: 'func_proto', name: '', returnType: int, params: [] });
    const pointer = b.add({ kind: 'ptr', name: '', type: proto });
    const struct = b.add({
      kind: 'struct',
      name: 'tcp_congestion_ops',
      size: 8,
      bitfieldEncoding: false,
      members: [{ name: 'name', type: pointer, bitOffset: 0, bitfieldSize: 0 }],
    });
    b.add({
      kind: 'struct',
      name: 'bpf_struct_ops_tcp_congestion_ops',
      size: 8,
      bitfieldEncoding: false,
      members: [{ name: 'data', type: struct, bitOffset: 0, bitfieldSize: 0 }],
    });
    let error: unknown;
    try {
      layoutStructOps(cc, linkBtf, [parseBtf(b.encode())]);
    } catch (caught) {
      error = caught;
    }
    expect(MapError.is(error)).toBe(true);
    expect((error as MapError).context.field).toBe('name');
    expect((error as MapError).problem).toMatch(/array here but a ptr in the kernel/);
  });

  it('refuses a program set on a member the kernel lacks', () => {
    expect(() => layoutStructOps(dummy, btf, [kernelBtf(['test_1', 'test_sleepable'])])).toThrow(
      /member 'test_2' is not in the kernel's struct bpf_dummy_ops/,
    );
  });

  it('one program on two members of the kernel struct is refused', () => {
    const kernel = kernelBtf();
    const layout = layoutStructOps(dummy, btf, [kernel]);
    const twice = {
      ...layout,
      programs: [...layout.programs, { ...(layout.programs[0] as (typeof layout.programs)[number]), memberIndex: 2 }],
    };
    expect(() => structOpsAttachments(new Map([['dummy', twice]]))).toThrow(/reuses program 'second'/);
    expect(structOpsAttachments(new Map([['dummy', layout]])).get('first')).toMatchObject({
      attachBtfId: layout.kernelTypeId,
      memberIndex: 0,
    });
  });
});
