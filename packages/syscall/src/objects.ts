import { BPF_OBJ_NAME_LEN, BpfCommand } from '@bpfkit/uapi';
import { addressOf, BpfAttr, isLittleEndianHost, nativeBuffer } from './attr.js';
import { bpfCall, bpfTry } from './call.js';
import { Errno } from './errno.js';
import { BpfSyscallError } from './errors.js';
import { Fd } from './fd.js';
import { attrSizes, getIdAttr, infoAttr, objPinAttr } from './generated/attr.js';
import {
  BTF_NAME_LEN,
  btfInfo as btfInfoLayout,
  linkInfo as linkInfoLayout,
  mapInfo as mapInfoLayout,
  progInfo,
  structSizes,
} from './generated/structs.js';

function pathBytes(path: string): Uint8Array {
  const encoded = new TextEncoder().encode(path);
  const bytes = nativeBuffer(encoded.length + 1);
  bytes.set(encoded);
  return bytes;
}

/**
 * BPF_OBJ_PIN: pins a map, program, link or BTF at `path` in a bpffs. `shownPath` is the
 * path errors name, when `path` is an alias such as `/proc/self/fd/<dir>/<name>`.
 */
export function pinObject(fd: number, path: string, shownPath = path): void {
  bpfCall(
    BpfCommand.OBJ_PIN,
    new BpfAttr(attrSizes.objPin).pointer(objPinAttr.pathname, pathBytes(path)).u32(objPinAttr.bpf_fd, fd),
    { path: shownPath },
  );
}

/** `file_flags` of BPF_OBJ_GET. */
export const ObjectFlag = {
  /** `BPF_F_RDONLY`: the fd may only read */
  READ_ONLY: 1 << 3,
  /** `BPF_F_WRONLY`: the fd may only write */
  WRITE_ONLY: 1 << 4,
} as const;

/**
 * BPF_OBJ_GET: opens the object pinned at `path` (following a final symbolic link, as the
 * kernel always does). `shownPath` is the path errors name, when `path` is an alias.
 */
export function getPinnedObject(path: string, flags = 0, shownPath = path): Fd {
  const attr = new BpfAttr(attrSizes.objPin)
    .pointer(objPinAttr.pathname, pathBytes(path))
    .u32(objPinAttr.file_flags, flags);
  const fd = bpfCall(BpfCommand.OBJ_GET, attr, { path: shownPath });
  return new Fd(fd, `pinned object '${shownPath}'`);
}

/** What BPF_OBJ_GET_INFO_BY_FD reports about a map. */
export interface MapInfo {
  /** Map type: a {@link @bpfkit/uapi!MapType} value. */
  readonly type: number;
  /** The map's kernel-wide id. */
  readonly id: number;
  /** Key size in bytes. */
  readonly keySize: number;
  /** Value size in bytes. */
  readonly valueSize: number;
  /** Capacity (`max_entries`). */
  readonly maxEntries: number;
  /** `map_flags` it was created with. */
  readonly flags: number;
  /** Kernel-visible name (at most 15 characters). */
  readonly name: string;
  /** Id of the BTF object describing it, 0 for none. */
  readonly btfId: number;
  /** The key's type id in that BTF. */
  readonly btfKeyTypeId: number;
  /** The value's type id in that BTF. */
  readonly btfValueTypeId: number;
  /** A struct_ops map's value type in the kernel's BTF (`bpf_struct_ops_<name>`), else 0. */
  readonly btfVmlinuxValueTypeId: number;
  /** `map_extra` it was created with. */
  readonly mapExtra: bigint;
}

/** What BPF_OBJ_GET_INFO_BY_FD reports about a program. */
export interface ProgramInfo {
  /** Program type: a {@link @bpfkit/uapi!ProgramType} value. */
  readonly type: number;
  /** The program's kernel-wide id. */
  readonly id: number;
  /** The kernel's tag of the instructions (16 hex digits), as bpftool shows it. */
  readonly tag: string;
  /** Kernel-visible name (at most 15 characters). */
  readonly name: string;
  /** Ids of the maps the program uses. */
  readonly mapIds: readonly number[];
  /** Id of the program's BTF object, 0 for none. */
  readonly btfId: number;
  /** Instructions the verifier processed (`verified_insns`). */
  readonly verifiedInstructions: number;
  /** Id of the BTF object holding the attach target (vmlinux's or a module's), 0 for none. */
  readonly attachBtfObjectId: number;
  /** The attach target's type id in that BTF (`attach_btf_id` of the load), 0 for none. */
  readonly attachBtfId: number;
  /** Total run time in ns and number of runs, counted while statistics are enabled. */
  readonly runTimeNs: bigint;
  /** Number of runs counted while statistics are enabled. */
  readonly runCount: bigint;
  /** The translated instructions, when asked for. */
  readonly xlated: Uint8Array | undefined;
}

/** The attr of BPF_OBJ_GET_INFO_BY_FD filling `buffer` (its length is the info size asked for). */
function infoCallAttr(fd: number, buffer: Uint8Array): BpfAttr {
  return new BpfAttr(attrSizes.info)
    .u32(infoAttr.bpf_fd, fd)
    .u32(infoAttr.info_len, buffer.length)
    .pointer(infoAttr.info, buffer);
}

function info(fd: number, size: number): DataView {
  const buffer = nativeBuffer(size);
  const attr = infoCallAttr(fd, buffer);
  bpfCall(BpfCommand.OBJ_GET_INFO_BY_FD, attr);
  return new DataView(buffer.buffer);
}

function cString(view: DataView, offset: number, length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) {
    const c = view.getUint8(offset + i);
    if (c === 0) break;
    text += String.fromCharCode(c);
  }
  return text;
}

/** BPF_OBJ_GET_INFO_BY_FD for a map. */
export function mapInfo(fd: number): MapInfo {
  const v = info(fd, structSizes.mapInfo);
  const le = isLittleEndianHost;
  const at = mapInfoLayout;
  return {
    type: v.getUint32(at.type, le),
    id: v.getUint32(at.id, le),
    keySize: v.getUint32(at.key_size, le),
    valueSize: v.getUint32(at.value_size, le),
    maxEntries: v.getUint32(at.max_entries, le),
    flags: v.getUint32(at.map_flags, le),
    name: cString(v, at.name, BPF_OBJ_NAME_LEN),
    btfId: v.getUint32(at.btf_id, le),
    btfKeyTypeId: v.getUint32(at.btf_key_type_id, le),
    btfValueTypeId: v.getUint32(at.btf_value_type_id, le),
    btfVmlinuxValueTypeId: v.getUint32(at.btf_vmlinux_value_type_id, le),
    mapExtra: v.getBigUint64(at.map_extra, le),
  };
}

/** BPF_OBJ_GET_INFO_BY_FD for a program; `xlated` also fetches the translated instructions. */
export function programInfo(fd: number, options: { xlated?: boolean } = {}): ProgramInfo {
  const le = isLittleEndianHost;
  const at = progInfo;
  const first = info(fd, structSizes.progInfo);
  const mapCount = first.getUint32(at.nr_map_ids, le);
  const xlatedLength = options.xlated ? first.getUint32(at.xlated_prog_len, le) : 0;
  const mapIds = nativeBuffer(mapCount * 4);
  const xlated = nativeBuffer(xlatedLength);
  const buffer = nativeBuffer(structSizes.progInfo);
  const view = new DataView(buffer.buffer);
  view.setUint32(at.nr_map_ids, mapCount, le);
  view.setBigUint64(at.map_ids, addressOf(mapIds), le);
  view.setUint32(at.xlated_prog_len, xlatedLength, le);
  view.setBigUint64(at.xlated_prog_insns, addressOf(xlated), le);
  const attr = infoCallAttr(fd, buffer);
  bpfCall(BpfCommand.OBJ_GET_INFO_BY_FD, attr);
  const ids = new DataView(mapIds.buffer);
  // BPF_TAG_SIZE bytes: the tag runs up to the field after it.
  const tagBytes = buffer.subarray(at.tag, at.jited_prog_len);
  const tag = Array.from(tagBytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return {
    type: view.getUint32(at.type, le),
    id: view.getUint32(at.id, le),
    tag,
    name: cString(view, at.name, BPF_OBJ_NAME_LEN),
    mapIds: Array.from({ length: mapCount }, (_, i) => ids.getUint32(i * 4, le)),
    btfId: view.getUint32(at.btf_id, le),
    verifiedInstructions: view.getUint32(at.verified_insns, le),
    attachBtfObjectId: view.getUint32(at.attach_btf_obj_id, le),
    attachBtfId: view.getUint32(at.attach_btf_id, le),
    runTimeNs: view.getBigUint64(at.run_time_ns, le),
    runCount: view.getBigUint64(at.run_cnt, le),
    xlated: options.xlated ? xlated : undefined,
  };
}

/** Kinds of kernel object with their own id space. */
export type ObjectKind = 'map' | 'program' | 'btf' | 'link';

const getFdById: Record<ObjectKind, number> = {
  map: BpfCommand.MAP_GET_FD_BY_ID,
  program: BpfCommand.PROG_GET_FD_BY_ID,
  btf: BpfCommand.BTF_GET_FD_BY_ID,
  link: BpfCommand.LINK_GET_FD_BY_ID,
};

const getNextId: Record<ObjectKind, number> = {
  map: BpfCommand.MAP_GET_NEXT_ID,
  program: BpfCommand.PROG_GET_NEXT_ID,
  btf: BpfCommand.BTF_GET_NEXT_ID,
  link: BpfCommand.LINK_GET_NEXT_ID,
};

/** *_GET_FD_BY_ID: opens the object with `id`, or `undefined` when it no longer exists. */
export function objectFdById(kind: ObjectKind, id: number): Fd | undefined {
  const result = bpfTry(getFdById[kind], new BpfAttr(attrSizes.getId).u32(getIdAttr.start_id, id));
  if (result === -Errno.ENOENT) return undefined;
  if (result < 0) throw new BpfSyscallError(getFdById[kind], -result);
  return new Fd(result, `${kind} id ${id}`);
}

/** Every id of `kind` currently in the kernel, via *_GET_NEXT_ID. */
export function objectIds(kind: ObjectKind): number[] {
  const ids: number[] = [];
  let start = 0;
  for (;;) {
    const attr = new BpfAttr(attrSizes.getId).u32(getIdAttr.start_id, start);
    const result = bpfTry(getNextId[kind], attr);
    if (result === -Errno.ENOENT) return ids;
    if (result < 0) throw new BpfSyscallError(getNextId[kind], -result);
    start = attr.readU32(getIdAttr.next_id);
    ids.push(start);
  }
}

/** What BPF_OBJ_GET_INFO_BY_FD reports about a BTF object. */
export interface BtfInfo {
  /** The BTF object's kernel-wide id. */
  readonly id: number;
  /** Size of its raw BTF in bytes. */
  readonly size: number;
  /** Its name (`vmlinux`, a module's, or empty for a program's BTF). */
  readonly name: string;
  /** True for kernel (vmlinux or module) BTF. */
  readonly kernel: boolean;
}

/** BPF_OBJ_GET_INFO_BY_FD for a BTF object. */
export function btfInfo(fd: number): BtfInfo {
  const le = isLittleEndianHost;
  const at = btfInfoLayout;
  const name = nativeBuffer(BTF_NAME_LEN);
  const buffer = nativeBuffer(structSizes.btfInfo);
  const view = new DataView(buffer.buffer);
  view.setBigUint64(at.name, addressOf(name), le);
  view.setUint32(at.name_len, name.length, le);
  bpfCall(BpfCommand.OBJ_GET_INFO_BY_FD, infoCallAttr(fd, buffer));
  return {
    id: view.getUint32(at.id, le),
    size: view.getUint32(at.btf_size, le),
    name: cString(new DataView(name.buffer), 0, name.length),
    kernel: view.getUint32(at.kernel_btf, le) !== 0,
  };
}

/** What BPF_OBJ_GET_INFO_BY_FD reports about a link. */
export interface LinkInfo {
  /** `BPF_LINK_TYPE_*`. */
  readonly type: number;
  /** The link's kernel-wide id. */
  readonly id: number;
  /** Id of the program it attaches. */
  readonly programId: number;
}

/** BPF_OBJ_GET_INFO_BY_FD for a link. */
export function linkInfo(fd: number): LinkInfo {
  const v = info(fd, structSizes.linkInfo);
  const le = isLittleEndianHost;
  const at = linkInfoLayout;
  return { type: v.getUint32(at.type, le), id: v.getUint32(at.id, le), programId: v.getUint32(at.prog_id, le) };
}

/** The raw BTF of a BTF object (as BTF_LOAD got it, or the kernel's own), via OBJ_GET_INFO_BY_FD. */
export function btfData(fd: number): Uint8Array {
  const le = isLittleEndianHost;
  const size = btfInfo(fd).size;
  const data = nativeBuffer(size);
  const buffer = nativeBuffer(structSizes.btfInfo);
  const view = new DataView(buffer.buffer);
  view.setBigUint64(btfInfoLayout.btf, addressOf(data), le);
  view.setUint32(btfInfoLayout.btf_size, size, le);
  bpfCall(BpfCommand.OBJ_GET_INFO_BY_FD, infoCallAttr(fd, buffer));
  return data;
}
