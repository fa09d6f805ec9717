import { type Btf, BtfBuilder, type BtfComposite, parseBtf } from '@bpfkit/btf';
import { fixture } from '@bpfkit/fixtures';
import { planCreation } from '@bpfkit/maps';
import {
  BpfAttr,
  btfInfo,
  type Fd,
  getBackend,
  isLittleEndianHost,
  nativeBuffer,
  objectFdById,
  objectIds,
  setBackend,
} from '@bpfkit/syscall';
import { MapFlag, MapType } from '@bpfkit/uapi';
import { describe, expect, it } from 'vitest';
import { createMaps } from '../src/execute-maps.js';
import { prepareStructOps, structOpsModuleFds } from '../src/execute-struct-ops.js';
import { BpfObject, LoadError } from '../src/index.js';
import { runningKernelBtf } from '../src/kernel-btf.js';
import { silent } from '../src/log.js';
import type { ModuleBtfFds } from '../src/module-btf-fds.js';
import { ResourceScope } from '../src/scope.js';
import { bpfUnavailable, openFdCount } from './kernel.js';

const unavailable = bpfUnavailable();

/** The kernel's struct `name` and the byte offset of each member inside its `bpf_struct_ops_<name>` value. */
function kernelLayout(name: string) {
  const kernel = runningKernelBtf();
  const struct = kernel.byName(name, 'struct') as BtfComposite;
  const value = kernel.byName(`bpf_struct_ops_${name}`, 'struct') as BtfComposite;
  const data = (value.members.find((m) => m.type === struct.id)?.bitOffset ?? -8) / 8;
  const offset = (member: string) => data + (struct.members.find((m) => m.name === member)?.bitOffset ?? -8) / 8;
  return { struct, value, offset };
}

/** Test-run arguments of a bpf_dummy_ops member: u64 each, host order. */
function args(...values: (number | bigint)[]): Uint8Array {
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  for (const [i, v] of values.entries()) view.setBigUint64(i * 8, BigInt(v), isLittleEndianHost);
  return bytes;
}

/** A `struct bpf_dummy_ops_state` in native memory and its address, for a test run's first argument. */
function dummyState(val: number) {
  const state = nativeBuffer(4);
  new DataView(state.buffer).setInt32(0, val, isLittleEndianHost);
  const holder = new BpfAttr(8).pointer(0, state);
  return { state, address: holder.readU64(0), val: () => new DataView(state.buffer).getInt32(0, isLittleEndianHost) };
}

describe.skipIf(unavailable !== undefined)('struct_ops maps and programs', () => {
  it('a .struct_ops map takes the kernel value type; its programs load against the members they are set on', () => {
    using object = BpfObject.open(fixture('struct_ops').path);
    object.load();
    const dummy = kernelLayout('bpf_dummy_ops');
    const map = object.map('dummy').info();
    expect(map).toMatchObject({ type: MapType.STRUCT_OPS, keySize: 4, maxEntries: 1, flags: 0 });
    expect(map.valueSize).toBe(dummy.value.size);
    expect(map.btfVmlinuxValueTypeId).toBe(dummy.value.id);
    for (const program of ['first', 'second'])
      expect(object.program(program).info().attachBtfId, program).toBe(dummy.struct.id);

    // The kernel runs each program as the member it was loaded for: test_1 with a state it
    // copies in and back out, or none; test_2 with a state and four more arguments (which
    // the verifier lets only a test_2 program read).
    expect(object.program('first').testRun({ ctx: args(0) }).retval).toBe(0x1234);
    const one = dummyState(7);
    expect(object.program('first').testRun({ ctx: args(one.address) }).retval).toBe(7);
    expect(one.val()).toBe(8);
    const two = dummyState(0);
    expect(object.program('second').testRun({ ctx: args(two.address, 1, 2, 3, 4) }).retval).toBe(4321);
    expect(object.map('.bss').lookup(new Uint8Array(4))?.[0]).toBe(1);
  });

  it('its value holds each program fd where the kernel struct has the member, other members zero', () => {
    using object = BpfObject.open(fixture('struct_ops').path);
    object.load();
    const dummy = kernelLayout('bpf_dummy_ops');
    const value = object.map('dummy').structOpsValue as Uint8Array;
    expect(value.length).toBe(dummy.value.size);
    const view = new DataView(value.buffer, value.byteOffset);
    const at = (member: string) => Number(view.getBigUint64(dummy.offset(member), true));
    expect(at('test_1')).toBe(object.program('first').fd);
    expect(at('test_2')).toBe(object.program('second').fd);
    expect(at('test_sleepable')).toBe(0);
    const others = [...value].filter((_, i) => i < dummy.offset('test_1') || i >= dummy.offset('test_sleepable') + 8);
    expect(others.every((b) => b === 0)).toBe(true);
  });

  it('a .struct_ops.link map is created with BPF_F_LINK, its data members copied; the kernel takes its value', () => {
    using object = BpfObject.open(fixture('struct_ops_link').path);
    object.load();
    const cc = kernelLayout('tcp_congestion_ops');
    const map = object.map('fixture_cc');
    expect(map.info()).toMatchObject({ flags: MapFlag.LINK, valueSize: cc.value.size });
    const value = map.structOpsValue as Uint8Array;
    const name = value.subarray(cc.offset('name'), cc.offset('name') + 16);
    expect(new TextDecoder().decode(name.subarray(0, name.indexOf(0)))).toBe('bpfkit_fixture');
    for (const [member, program] of [
      ['ssthresh', 'fixture_ssthresh'],
      ['cong_avoid', 'fixture_cong_avoid'],
      ['undo_cwnd', 'fixture_undo_cwnd'],
    ] as const) {
      const info = object.program(program).info();
      expect(info.attachBtfId, program).toBe(cc.struct.id);
      const view = new DataView(value.buffer, value.byteOffset);
      expect(Number(view.getBigUint64(cc.offset(member), true)), member).toBe(object.program(program).fd);
    }
    // With BPF_F_LINK the update only checks the value (each fd a struct_ops program loaded
    // for that member of that struct) and stores it; registering waits for a link. The kernel
    // keeps program ids where the fds were.
    map.update(new Uint8Array(4), value);
    const stored = map.lookup(new Uint8Array(4)) as Uint8Array;
    const view = new DataView(stored.buffer, stored.byteOffset);
    expect(Number(view.getBigUint64(cc.offset('ssthresh'), true))).toBe(object.program('fixture_ssthresh').info().id);
    expect(stored.subarray(cc.offset('name'), cc.offset('name') + 16)).toEqual(name);
  });

  it('a struct the kernel does not have fails the load naming the map and the type, leaving nothing open', () => {
    const before = openFdCount();
    const object = BpfObject.open(fixture('bad_struct_ops_unknown').path);
    let error: unknown;
    try {
      object.load();
    } catch (caught) {
      error = caught;
    }
    expect(LoadError.is(error)).toBe(true);
    expect((error as LoadError).context.map).toBe('missing');
    const message = (error as LoadError).message;
    expect(message).toMatch(/bpf_struct_ops_bpfkit_no_such_ops is not found in the kernel's BTF/);
    // The loader adds its step in front of the maps package's text, which appears once, and a hint follows.
    expect(message.split('is not found').length - 1).toBe(1);
    expect(message).toMatch(
      /^object '[^']+': map 'missing': lay out the struct_ops value against the kernel's BTF: struct /,
    );
    expect(message).toMatch(/ — struct_ops types come from the kernel or a loaded module: .*'bpfkit_no_such_ops'/);
    expect(openFdCount()).toBe(before);
  });
});

/** The kernel's own BTF object (vmlinux), opened by id. */
function vmlinuxBtfObject(): Fd {
  for (const id of objectIds('btf')) {
    const fd = objectFdById('btf', id);
    if (fd === undefined) continue;
    if (btfInfo(fd.fd).name === 'vmlinux') return fd;
    fd.close();
  }
  throw new Error('no vmlinux BTF object');
}

describe.skipIf(unavailable !== undefined)('struct_ops types defined by a kernel module', () => {
  // No module here defines one (/sys/kernel/btf holds vmlinux alone): vmlinux stands in for the
  // module by coming second in the search, after a kernel BTF that lacks the struct.
  it("create the map with BPF_F_VTYPE_BTF_OBJ_FD and the module's BTF object, as libbpf does", () => {
    const before = openFdCount();
    const object = BpfObject.open(fixture('struct_ops').path);
    const btf = object.btf;
    if (btf === undefined) throw new Error('no BTF');
    const builder = new BtfBuilder();
    builder.add({ kind: 'int', name: 'int', size: 4, bits: 32, bitOffset: 0, encoding: 1 });
    const kernel = parseBtf(builder.encode());
    const module = runningKernelBtf();
    const plan = prepareStructOps(object.name, object.maps, object.programs, btf, () => [kernel, module], silent);
    expect(plan.layouts.get('dummy')?.btf).toBe(module);
    expect([...plan.attachments.values()].map((a) => a.btf)).toEqual([module, module]);

    const scope = new ResourceScope();
    const asked: Btf[] = [];
    const moduleObject = vmlinuxBtfObject();
    const moduleFdNumber = moduleObject.fd;
    const moduleFds = {
      fd(b: Btf) {
        asked.push(b);
        return moduleObject;
      },
    } as unknown as ModuleBtfFds;
    const real = getBackend();
    const creates: DataView[] = [];
    setBackend({
      ...real,
      bpf(command: number, attr: Uint8Array, size: number) {
        if (command === 0) creates.push(new DataView(attr.slice(0, size).buffer));
        return real.bpf(command, attr, size);
      },
    });
    try {
      expect(() =>
        createMaps({
          object: object.name,
          maps: object.maps.filter((m) => m.name === 'dummy'),
          plan: planCreation(object.maps.filter((m) => m.name === 'dummy')),
          btfFd: undefined,
          pinRoot: '/nonexistent',
          scope,
          log: silent,
          structOpsModuleFds: structOpsModuleFds(plan, moduleFds),
        }),
      ).toThrow(/EINVAL/); // the kernel takes module BTF objects only, and vmlinux is not one
    } finally {
      setBackend(real);
      scope.closeAll();
      moduleObject.close();
      object.close();
    }
    expect(asked).toEqual([module]);
    // union bpf_attr for BPF_MAP_CREATE: map_flags at byte 16, value_type_btf_obj_fd at 72.
    const sent = creates.at(-1);
    expect(sent?.getUint32(0, true)).toBe(MapType.STRUCT_OPS);
    expect((sent?.getUint32(16, true) ?? 0) & MapFlag.VTYPE_BTF_OBJ_FD).toBe(MapFlag.VTYPE_BTF_OBJ_FD);
    expect(sent?.getUint32(72, true)).toBe(moduleFdNumber);
    expect(sent?.byteLength).toBe(76);
    expect(openFdCount()).toBe(before);
  });
});
