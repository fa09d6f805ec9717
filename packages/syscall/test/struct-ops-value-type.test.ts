import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BpfSyscallError, btfInfo, createMap, type Fd, loadBtf, objectFdById, objectIds } from '../src/index.js';
import { bpfUnavailable, openFdCount } from './kernel.js';

const unavailable = bpfUnavailable();

/** `BPF_MAP_TYPE_STRUCT_OPS` and `BPF_F_VTYPE_BTF_OBJ_FD`, as the uapi header has them. */
const STRUCT_OPS = 26;
const VTYPE_BTF_OBJ_FD = 1 << 15;

/** The smallest object BTF the kernel loads: one `int`. A struct_ops map needs one (btf_fd). */
function intOnlyBtf(): Uint8Array {
  const strings = new TextEncoder().encode('\0int\0');
  const bytes = new Uint8Array(24 + 16 + strings.length);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, 0xeb9f, true);
  view.setUint8(2, 1);
  view.setUint32(4, 24, true); // hdr_len
  view.setUint32(8, 0, true); // type_off
  view.setUint32(12, 16, true); // type_len
  view.setUint32(16, 16, true); // str_off
  view.setUint32(20, strings.length, true); // str_len
  view.setUint32(24, 1, true); // name_off: "int"
  view.setUint32(28, 1 << 24, true); // kind INT, vlen 0
  view.setUint32(32, 4, true); // size
  view.setUint32(36, (1 << 24) | 32, true); // signed, 32 bits
  bytes.set(strings, 40);
  return bytes;
}

/** The id and size of `bpf_struct_ops_<name>` in the running kernel's BTF, read with bpftool. */
function kernelValueType(name: string): { id: number; size: number } {
  const dump = execFileSync('bpftool', ['btf', 'dump', 'file', '/sys/kernel/btf/vmlinux'], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  const match = new RegExp(`^\\[(\\d+)\\] STRUCT 'bpf_struct_ops_${name}' size=(\\d+)`, 'm').exec(dump);
  if (match === null) throw new Error(`no bpf_struct_ops_${name} in vmlinux`);
  return { id: Number(match[1]), size: Number(match[2]) };
}

/** The kernel's own BTF object (vmlinux), opened by id. */
function vmlinuxBtfObject(): Fd {
  for (const id of objectIds('btf')) {
    const fd = objectFdById('btf', id);
    if (fd === undefined) continue;
    const info = btfInfo(fd.fd);
    if (info.kernel && info.name === 'vmlinux') return fd;
    fd.close();
  }
  throw new Error('no vmlinux BTF object');
}

function errnoOf(run: () => Fd): string {
  try {
    run().close();
    return 'created';
  } catch (error) {
    if (BpfSyscallError.is(error)) return error.errnoName;
    throw error;
  }
}

// No module here defines a struct_ops type (/sys/kernel/btf holds vmlinux alone), so these
// check that the kernel reads value_type_btf_obj_fd where createMap writes it.
describe.skipIf(unavailable !== undefined)('a struct_ops map whose value type a module defines', () => {
  let objectBtf: Fd;
  let before: number;
  const valueType = unavailable === undefined ? kernelValueType('bpf_dummy_ops') : { id: 0, size: 0 };
  const create = (extra: { flags?: number; valueTypeBtfObjFd?: number }) => () =>
    createMap({
      name: 'dummy_ops',
      type: STRUCT_OPS,
      keySize: 4,
      valueSize: valueType.size,
      maxEntries: 1,
      btfFd: objectBtf.fd,
      btfVmlinuxValueTypeId: valueType.id,
      ...extra,
    });

  beforeAll(() => {
    before = openFdCount();
    objectBtf = loadBtf(intOnlyBtf());
  });
  afterAll(() => {
    objectBtf.close();
    expect(openFdCount()).toBe(before);
  });

  it('is created from vmlinux without the flag (the rest of the attributes are right)', () => {
    expect(errnoOf(create({}))).toBe('created');
  });

  it('sends value_type_btf_obj_fd: a descriptor that is not open is EBADF, not the EINVAL of fd 0', () => {
    expect(errnoOf(create({ flags: VTYPE_BTF_OBJ_FD, valueTypeBtfObjFd: 1 << 20 }))).toBe('EBADF');
    expect(errnoOf(create({ flags: VTYPE_BTF_OBJ_FD, valueTypeBtfObjFd: 0 }))).toBe('EINVAL');
  });

  it('is refused with vmlinux as the value type object: the kernel takes module BTF objects only', () => {
    using vmlinux = vmlinuxBtfObject();
    expect(errnoOf(create({ flags: VTYPE_BTF_OBJ_FD, valueTypeBtfObjFd: vmlinux.fd }))).toBe('EINVAL');
  });
});
