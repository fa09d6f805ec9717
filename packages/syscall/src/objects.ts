import { BpfCommand } from '@bpfkit/uapi';
import { addressOf, BpfAttr, isLittleEndianHost, nativeBuffer } from './attr.js';
import { bpfCall, bpfTry } from './call.js';
import { Errno } from './errno.js';
import { BpfSyscallError } from './errors.js';
import { Fd } from './fd.js';
import { attrSizes, getIdAttr, infoAttr, objPinAttr } from './generated/attr.js';

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
    new BpfAttr(objPinAttr.file_flags + 4).pointer(objPinAttr.pathname, pathBytes(path)).u32(objPinAttr.bpf_fd, fd),
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
  const attr = new BpfAttr(objPinAttr.file_flags + 4)
    .pointer(objPinAttr.pathname, pathBytes(path))
    .u32(objPinAttr.file_flags, flags);
  const fd = bpfCall(BpfCommand.OBJ_GET, attr, { path: shownPath });
  return new Fd(fd, `pinned object '${shownPath}'`);
}

/** What BPF_OBJ_GET_INFO_BY_FD reports about a map. */
export interface MapInfo {
  /** Map type: a {@link MapType} value. */
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
  /** Program type: a {@link ProgramType} value. */
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
  const v = info(fd, 88);
  const le = isLittleEndianHost;
  return {
    type: v.getUint32(0, le),
    id: v.getUint32(4, le),
    keySize: v.getUint32(8, le),
    valueSize: v.getUint32(12, le),
    maxEntries: v.getUint32(16, le),
    flags: v.getUint32(20, le),
    name: cString(v, 24, 16),
    btfId: v.getUint32(64, le),
    btfKeyTypeId: v.getUint32(68, le),
    btfValueTypeId: v.getUint32(72, le),
    btfVmlinuxValueTypeId: v.getUint32(44, le),
    mapExtra: v.getBigUint64(80, le),
  };
}

/** BPF_OBJ_GET_INFO_BY_FD for a program; `xlated` also fetches the translated instructions. */
export function programInfo(fd: number, options: { xlated?: boolean } = {}): ProgramInfo {
  const le = isLittleEndianHost;
  const first = info(fd, 232);
  const mapCount = first.getUint32(52, le);
  const xlatedLength = options.xlated ? first.getUint32(20, le) : 0;
  const mapIds = nativeBuffer(mapCount * 4);
  const xlated = nativeBuffer(xlatedLength);
  const buffer = nativeBuffer(232);
  const view = new DataView(buffer.buffer);
  view.setUint32(52, mapCount, le);
  view.setBigUint64(56, addressOf(mapIds), le);
  view.setUint32(20, xlatedLength, le);
  view.setBigUint64(32, addressOf(xlated), le);
  const attr = infoCallAttr(fd, buffer);
  bpfCall(BpfCommand.OBJ_GET_INFO_BY_FD, attr);
  const ids = new DataView(mapIds.buffer);
  const tag = Array.from(buffer.subarray(8, 16), (b) => b.toString(16).padStart(2, '0')).join('');
  return {
    type: view.getUint32(0, le),
    id: view.getUint32(4, le),
    tag,
    name: cString(view, 64, 16),
    mapIds: Array.from({ length: mapCount }, (_, i) => ids.getUint32(i * 4, le)),
    btfId: view.getUint32(128, le),
    verifiedInstructions: view.getUint32(216, le),
    attachBtfObjectId: view.getUint32(220, le),
    attachBtfId: view.getUint32(224, le),
    runTimeNs: view.getBigUint64(192, le),
    runCount: view.getBigUint64(200, le),
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
  const result = bpfTry(getFdById[kind], new BpfAttr(getIdAttr.open_flags + 4).u32(getIdAttr.start_id, id));
  if (result === -Errno.ENOENT) return undefined;
  if (result < 0) throw new BpfSyscallError(getFdById[kind], -result);
  return new Fd(result, `${kind} id ${id}`);
}

/** Every id of `kind` currently in the kernel, via *_GET_NEXT_ID. */
export function objectIds(kind: ObjectKind): number[] {
  const ids: number[] = [];
  let start = 0;
  for (;;) {
    const attr = new BpfAttr(getIdAttr.open_flags + 4).u32(getIdAttr.start_id, start);
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
  const name = nativeBuffer(64);
  const buffer = nativeBuffer(32);
  const view = new DataView(buffer.buffer);
  view.setBigUint64(16, addressOf(name), le);
  view.setUint32(24, name.length, le);
  bpfCall(BpfCommand.OBJ_GET_INFO_BY_FD, infoCallAttr(fd, buffer));
  return {
    id: view.getUint32(12, le),
    size: view.getUint32(8, le),
    name: cString(new DataView(name.buffer), 0, 64),
    kernel: view.getUint32(28, le) !== 0,
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
  const v = info(fd, 64);
  const le = isLittleEndianHost;
  return { type: v.getUint32(0, le), id: v.getUint32(4, le), programId: v.getUint32(8, le) };
}

/** The raw BTF of a BTF object (as BTF_LOAD got it, or the kernel's own), via OBJ_GET_INFO_BY_FD. */
export function btfData(fd: number): Uint8Array {
  const le = isLittleEndianHost;
  const size = btfInfo(fd).size;
  const data = nativeBuffer(size);
  const buffer = nativeBuffer(32);
  const view = new DataView(buffer.buffer);
  view.setBigUint64(0, addressOf(data), le);
  view.setUint32(8, size, le);
  bpfCall(BpfCommand.OBJ_GET_INFO_BY_FD, infoCallAttr(fd, buffer));
  return data;
}
