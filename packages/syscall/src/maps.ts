import { BPF_OBJ_NAME_LEN, BpfCommand } from '@bpfkit/uapi';
import { BpfAttr, nativeBuffer } from './attr.js';
import { getBackend, type Mapping } from './backend.js';
import { bpfCall, bpfTry, syscallError } from './call.js';
import { Errno } from './errno.js';
import { BpfSyscallError } from './errors.js';
import { Fd } from './fd.js';
import { attrSizes, batchAttr, mapCreateAttr, mapElemAttr } from './generated/attr.js';
import { ownDescriptor } from './known-layouts.js';
import { elementScratch } from './scratch.js';
import { checkBufferSize, checkLayout, keyBufferSize, type MapLayout, valueBufferSize } from './value-layout.js';

/** Every MAP_CREATE field (offsets from `union bpf_attr`). */
export interface MapCreateOptions {
  /** Kernel-visible name (at most 15 characters). */
  readonly name?: string;
  /** Map type: a {@link @bpfkit/uapi!MapType} value (`MapType.HASH`…). */
  readonly type: number;
  /** Key size in bytes (`key_size`; 4 for arrays). */
  readonly keySize: number;
  /** Value size in bytes (`value_size`), before any per-CPU rounding. */
  readonly valueSize: number;
  /** Capacity (`max_entries`): entries, slots, or bytes for a ring buffer. */
  readonly maxEntries: number;
  /** `map_flags` (`BPF_F_NO_PREALLOC`, `BPF_F_MMAPABLE`, `BPF_F_RDONLY_PROG`…). */
  readonly flags?: number;
  /** Prototype map fd for ARRAY_OF_MAPS / HASH_OF_MAPS. */
  readonly innerMapFd?: number;
  /** NUMA node to allocate on, with `BPF_F_NUMA_NODE` in `flags`. */
  readonly numaNode?: number;
  /** Network interface to offload the map to (0: none). */
  readonly ifindex?: number;
  /** BTF object fd describing the key and value (0: no BTF). */
  readonly btfFd?: number;
  /** The key's type id in `btfFd`. */
  readonly btfKeyTypeId?: number;
  /** The value's type id in `btfFd`. */
  readonly btfValueTypeId?: number;
  /** For struct_ops maps: the value type's id in the kernel's BTF. */
  readonly btfVmlinuxValueTypeId?: number;
  /** `map_extra`: bloom filter hash count, arena address… */
  readonly mapExtra?: bigint;
  /**
   * For a struct_ops map whose value type lives in a kernel module: that module's BTF object
   * fd (`value_type_btf_obj_fd`), sent with `BPF_F_VTYPE_BTF_OBJ_FD` in `flags` (Linux 6.9+).
   */
  readonly valueTypeBtfObjFd?: number;
}

/** Size of the MAP_CREATE attr up to `map_extra` (a u64), the last field most maps set. */
const MAP_CREATE_SIZE = mapCreateAttr.map_extra + 8;
/** Size of the MAP_CREATE attr up to `value_type_btf_obj_fd`, for maps that set it. */
const MAP_CREATE_SIZE_WITH_VALUE_TYPE_OBJ = mapCreateAttr.value_type_btf_obj_fd + 4;

/**
 * The attrs of every BPF_MAP_CREATE, one per size sent, zeroed after each call (so each is
 * zero when the next call writes it): a load creates a map per definition and data section,
 * and a fresh native buffer per map cost more than the rest of its JS. Safe because
 * JavaScript runs one call at a time per thread.
 */
const mapCreate = new BpfAttr(MAP_CREATE_SIZE);
/** See {@link mapCreate}. */
const mapCreateWithValueTypeObj = new BpfAttr(MAP_CREATE_SIZE_WITH_VALUE_TYPE_OBJ);

/**
 * BPF_MAP_CREATE.
 * @throws {@link BpfSyscallError} naming the map.
 * @example
 * ```ts
 * import { createMap, mapLookup, mapUpdate } from '@bpfkit/syscall';
 * import { MapType } from '@bpfkit/uapi';
 *
 * const counts = { name: 'counts', type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 64 };
 * using map = createMap(counts);
 * const key = Uint8Array.of(1, 0, 0, 0); // bytes in the host's order
 * mapUpdate(map.fd, key, new Uint8Array(BigUint64Array.of(5n).buffer), counts);
 * console.log(mapLookup(map.fd, key, counts));
 * ```
 */
export function createMap(options: MapCreateOptions): Fd {
  const name = options.name ?? '';
  const kept = options.valueTypeBtfObjFd === undefined ? mapCreate : mapCreateWithValueTypeObj;
  const fd = kept.use((attr) => bpfCall(BpfCommand.MAP_CREATE, writeMapCreate(attr, options), { map: name }));
  const owner = new Fd(fd, `map '${name}'`);
  ownDescriptor(fd, options);
  return owner;
}

/** `attr` ({@link mapCreate} or {@link mapCreateWithValueTypeObj}) written for `options`. */
function writeMapCreate(attr: BpfAttr, options: MapCreateOptions): BpfAttr {
  const valueTypeObj = options.valueTypeBtfObjFd;
  attr
    .u32(mapCreateAttr.map_type, options.type)
    .u32(mapCreateAttr.key_size, options.keySize)
    .u32(mapCreateAttr.value_size, options.valueSize)
    .u32(mapCreateAttr.max_entries, options.maxEntries)
    .u32(mapCreateAttr.map_flags, options.flags ?? 0)
    .u32(mapCreateAttr.inner_map_fd, options.innerMapFd ?? 0)
    .u32(mapCreateAttr.numa_node, options.numaNode ?? 0)
    .string(mapCreateAttr.map_name, BPF_OBJ_NAME_LEN, options.name ?? '')
    .u32(mapCreateAttr.map_ifindex, options.ifindex ?? 0)
    .u32(mapCreateAttr.btf_fd, options.btfFd ?? 0)
    .u32(mapCreateAttr.btf_key_type_id, options.btfKeyTypeId ?? 0)
    .u32(mapCreateAttr.btf_value_type_id, options.btfValueTypeId ?? 0)
    .u32(mapCreateAttr.btf_vmlinux_value_type_id, options.btfVmlinuxValueTypeId ?? 0)
    .u64(mapCreateAttr.map_extra, options.mapExtra ?? 0n);
  if (valueTypeObj !== undefined) attr.u32(mapCreateAttr.value_type_btf_obj_fd, valueTypeObj);
  return attr;
}

/** `BPF_ANY`, `BPF_NOEXIST`, `BPF_EXIST`, `BPF_F_LOCK`. */
export const UpdateFlag = {
  /** `BPF_ANY`: create or replace */
  ANY: 0,
  /** `BPF_NOEXIST`: create only; EEXIST if the key exists */
  NOEXIST: 1,
  /** `BPF_EXIST`: replace only; ENOENT if the key is missing */
  EXIST: 2,
  /** `BPF_F_LOCK`: update under the value's `bpf_spin_lock` */
  LOCK: 4,
} as const;

function elemAttr(mapFd: number, key: Uint8Array | undefined, value: Uint8Array | undefined, flags: number): BpfAttr {
  return new BpfAttr(attrSizes.mapElem)
    .u32(mapElemAttr.map_fd, mapFd)
    .pointer(mapElemAttr.key, key)
    .pointer(mapElemAttr.value, value)
    .u64(mapElemAttr.flags, flags);
}

/** Checks the layout (against the map too) and the key against it; the key may be absent only where `optional`. */
function checkKey(
  command: number,
  mapFd: number,
  layout: MapLayout,
  key: Uint8Array | undefined,
  name: string | undefined,
  optional = false,
): void {
  checkLayout(command, layout, name, mapFd);
  if (key === undefined && optional) return;
  checkBufferSize(command, layout, 'key', key?.length ?? 0, keyBufferSize(layout), name);
}

/** Runs a single-element command through the reused scratch buffers; the result or `-errno`. */
function elementCall(
  command: number,
  mapFd: number,
  key: Uint8Array,
  valueSize: number,
  flags: number,
  value?: Uint8Array,
): { result: number; value: Uint8Array } {
  const scratch = elementScratch.prepare(mapFd, key.length, valueSize, flags);
  scratch.key.set(key);
  if (value !== undefined) scratch.value.set(value);
  const b = getBackend();
  let result = b.bpf(command, elementScratch.attr, attrSizes.mapElem);
  for (let attempt = 0; result === -Errno.EINTR && attempt < 5; attempt++)
    result = b.bpf(command, elementScratch.attr, attrSizes.mapElem);
  return { result, value: scratch.value };
}

/**
 * BPF_MAP_LOOKUP_ELEM: the value, or `undefined` when the key is absent. The value is a
 * fresh copy of {@link valueBufferSize} bytes: for per-CPU maps, one value per possible CPU.
 * @throws {@link BpfSyscallError} (EINVAL, before the call) when the key does not match the layout.
 */
export function mapLookup(
  mapFd: number,
  key: Uint8Array,
  layout: MapLayout,
  flags = 0,
  name?: string,
): Uint8Array | undefined {
  checkKey(BpfCommand.MAP_LOOKUP_ELEM, mapFd, layout, key, name);
  const size = valueBufferSize(layout, 1, flags);
  const { result, value } = elementCall(BpfCommand.MAP_LOOKUP_ELEM, mapFd, key, size, flags);
  if (result === -Errno.ENOENT) return undefined;
  if (result < 0) throw syscallError(BpfCommand.MAP_LOOKUP_ELEM, -result, name ? { map: name } : {}, { mapFd });
  return value.slice(0, size);
}

/**
 * BPF_MAP_UPDATE_ELEM: `value` must be {@link valueBufferSize} bytes (per-CPU maps: one
 * value per possible CPU, each padded to 8 bytes).
 * @throws {@link BpfSyscallError} (EINVAL, before the call) when the key or value does not match the layout.
 */
export function mapUpdate(
  mapFd: number,
  key: Uint8Array,
  value: Uint8Array,
  layout: MapLayout,
  flags = 0,
  name?: string,
): void {
  const command = BpfCommand.MAP_UPDATE_ELEM;
  checkKey(command, mapFd, layout, key, name);
  const size = valueBufferSize(layout, 1, flags);
  checkBufferSize(command, layout, 'value', value.length, size, name);
  const { result } = elementCall(command, mapFd, key, size, flags, value);
  if (result < 0) throw syscallError(command, -result, name ? { map: name } : {}, { mapFd });
}

/**
 * BPF_MAP_DELETE_ELEM: true when the key was there.
 * @throws {@link BpfSyscallError} (EINVAL, before the call) when the key does not match the layout.
 */
export function mapDelete(mapFd: number, key: Uint8Array, layout: MapLayout, name?: string): boolean {
  checkKey(BpfCommand.MAP_DELETE_ELEM, mapFd, layout, key, name);
  const result = bpfTry(BpfCommand.MAP_DELETE_ELEM, elemAttr(mapFd, key, undefined, 0));
  if (result === -Errno.ENOENT) return false;
  if (result < 0) throw syscallError(BpfCommand.MAP_DELETE_ELEM, -result, name ? { map: name } : {}, { mapFd });
  return true;
}

/**
 * BPF_MAP_LOOKUP_AND_DELETE_ELEM (queues and stacks with no key, hashes with one): the
 * value ({@link valueBufferSize} bytes), or `undefined` when absent.
 * @throws {@link BpfSyscallError} (EINVAL, before the call) when the key does not match the layout.
 */
export function mapLookupAndDelete(
  mapFd: number,
  key: Uint8Array | undefined,
  layout: MapLayout,
  name?: string,
): Uint8Array | undefined {
  const command = BpfCommand.MAP_LOOKUP_AND_DELETE_ELEM;
  checkKey(command, mapFd, layout, key, name, layout.keySize === 0);
  const value = nativeBuffer(valueBufferSize(layout));
  const result = bpfTry(command, elemAttr(mapFd, key, value, 0));
  if (result === -Errno.ENOENT) return undefined;
  if (result < 0) throw syscallError(command, -result, name ? { map: name } : {}, { mapFd });
  return value;
}

/**
 * BPF_MAP_GET_NEXT_KEY: the key after `key` (the first key when `key` is undefined), or `undefined` at the end.
 * @throws {@link BpfSyscallError} (EINVAL, before the call) when the key does not match the layout.
 */
export function mapNextKey(
  mapFd: number,
  key: Uint8Array | undefined,
  layout: MapLayout,
  name?: string,
): Uint8Array | undefined {
  checkKey(BpfCommand.MAP_GET_NEXT_KEY, mapFd, layout, key, name, true);
  const next = nativeBuffer(keyBufferSize(layout));
  const result = bpfTry(BpfCommand.MAP_GET_NEXT_KEY, elemAttr(mapFd, key, next, 0));
  if (result === -Errno.ENOENT) return undefined;
  if (result < 0) throw syscallError(BpfCommand.MAP_GET_NEXT_KEY, -result, name ? { map: name } : {}, { mapFd });
  return next;
}

/** The attr of every BPF_MAP_FREEZE (a load freezes each read-only data map), zeroed after each call, as {@link mapCreate}. */
const mapFreezeAttr = new BpfAttr(attrSizes.mapElem);

/** BPF_MAP_FREEZE: no more writes from user space. */
export function mapFreeze(mapFd: number, name?: string): void {
  mapFreezeAttr.use((attr) =>
    bpfCall(BpfCommand.MAP_FREEZE, attr.u32(mapElemAttr.map_fd, mapFd), name ? { map: name } : {}),
  );
}

/** Result of a batch lookup. */
export interface BatchLookup {
  /** Keys, `count × keySize` bytes (room for the requested count; the first `count` are filled). */
  readonly keys: Uint8Array;
  /** Values, {@link valueBufferSize} bytes per entry (per-CPU maps: one value per possible CPU). */
  readonly values: Uint8Array;
  /** Entries returned. */
  readonly count: number;
  /** Token to continue from, `undefined` when the map is exhausted. */
  readonly next: Uint8Array | undefined;
}

function batchCallAttr(mapFd: number): BpfAttr {
  return new BpfAttr(attrSizes.batch).u32(batchAttr.map_fd, mapFd);
}

/**
 * The size of a batch token: hashes write a 4-byte bucket number, arrays (and the kernel's
 * generic batch code) the last key, so room for the larger of the two.
 */
function batchTokenSize(layout: MapLayout): number {
  return Math.max(keyBufferSize(layout), 4);
}

/** The most bytes a batch's key or value buffer may take: past it, a typed error instead of a failed allocation. */
const MAX_BATCH_BYTES = 2 ** 31 - 1;

/** Checks a batch's layout (against the map too) and count, and the packed keys and values given, before the call. */
function checkBatch(
  command: number,
  mapFd: number,
  layout: MapLayout,
  count: number,
  keys: Uint8Array | undefined,
  values: Uint8Array | undefined,
  flags: number,
  name: string | undefined,
): void {
  checkLayout(command, layout, name, mapFd);
  const bytes = Math.max(keyBufferSize(layout, count), valueBufferSize(layout, count, flags));
  if (!Number.isInteger(count) || count < 0 || count > 0xffffffff || bytes > MAX_BATCH_BYTES)
    throw new BpfSyscallError(command, Errno.EINVAL, {
      ...(name ? { map: name } : {}),
      field: 'count',
      actual: String(count),
      expected: `a whole number from 0 to 2^32-1 whose buffers fit ${MAX_BATCH_BYTES} bytes`,
    });
  if (keys !== undefined) checkBufferSize(command, layout, 'keys', keys.length, keyBufferSize(layout, count), name);
  if (values !== undefined)
    checkBufferSize(command, layout, 'values', values.length, valueBufferSize(layout, count, flags), name);
}

/**
 * BPF_MAP_UPDATE_BATCH of `count` entries packed in `keys` and `values` (each value
 * {@link valueBufferSize} bytes); returns how many were written before any error.
 * @throws {@link BpfSyscallError} (after `written` entries) when an entry fails, or (EINVAL,
 * before the call) when the buffers do not match the layout and count.
 */
export function mapUpdateBatch(
  mapFd: number,
  keys: Uint8Array,
  values: Uint8Array,
  count: number,
  layout: MapLayout,
  flags = 0,
  name?: string,
): number {
  const attr = updateBatchAttr(mapFd, keys, values, count, layout, flags, name);
  bpfCall(BpfCommand.MAP_UPDATE_BATCH, attr, name ? { map: name } : {});
  return attr.readU32(batchAttr.count);
}

/**
 * The attr of a BPF_MAP_UPDATE_BATCH, after checking the buffers against the layout; the
 * kernel writes the number of entries written back at `count`.
 * @throws {@link BpfSyscallError} (EINVAL) when the buffers do not match the layout and count.
 */
export function updateBatchAttr(
  mapFd: number,
  keys: Uint8Array,
  values: Uint8Array,
  count: number,
  layout: MapLayout,
  flags: number,
  name?: string,
): BpfAttr {
  checkBatch(BpfCommand.MAP_UPDATE_BATCH, mapFd, layout, count, keys, values, flags, name);
  return batchCallAttr(mapFd)
    .pointer(batchAttr.keys, keys)
    .pointer(batchAttr.values, values)
    .u32(batchAttr.count, count)
    .u64(batchAttr.elem_flags, flags);
}

/**
 * BPF_MAP_DELETE_BATCH of `count` keys; returns how many were deleted.
 * @throws {@link BpfSyscallError} (EINVAL, before the call) when `keys` is not `count` keys of the layout.
 */
export function mapDeleteBatch(
  mapFd: number,
  keys: Uint8Array,
  count: number,
  layout: MapLayout,
  name?: string,
): number {
  checkBatch(BpfCommand.MAP_DELETE_BATCH, mapFd, layout, count, keys, undefined, 0, name);
  const attr = batchCallAttr(mapFd).pointer(batchAttr.keys, keys).u32(batchAttr.count, count);
  bpfCall(BpfCommand.MAP_DELETE_BATCH, attr, name ? { map: name } : {});
  return attr.readU32(batchAttr.count);
}

/**
 * BPF_MAP_LOOKUP_BATCH (or LOOKUP_AND_DELETE_BATCH): up to `count` entries after the token
 * `from` (the start when undefined; else the `next` of the previous call). Key and value
 * buffers are sized from the layout ({@link valueBufferSize} per entry).
 * @throws {@link BpfSyscallError} (EINVAL, before the call) when the layout, count or token is wrong.
 */
export function mapLookupBatch(
  mapFd: number,
  options: {
    layout: MapLayout;
    count: number;
    from?: Uint8Array;
    andDelete?: boolean;
  },
  name?: string,
): BatchLookup {
  const { layout, count } = options;
  const command = options.andDelete ? BpfCommand.MAP_LOOKUP_AND_DELETE_BATCH : BpfCommand.MAP_LOOKUP_BATCH;
  const tokenSize = batchTokenSize(layout);
  checkBatch(command, mapFd, layout, count, undefined, undefined, 0, name);
  if (options.from !== undefined) checkBufferSize(command, layout, 'token', options.from.length, tokenSize, name);
  const out = nativeBuffer(tokenSize);
  const keys = nativeBuffer(keyBufferSize(layout, count));
  const values = nativeBuffer(valueBufferSize(layout, count));
  const attr = batchCallAttr(mapFd)
    .pointer(batchAttr.in_batch, options.from)
    .pointer(batchAttr.out_batch, out)
    .pointer(batchAttr.keys, keys)
    .pointer(batchAttr.values, values)
    .u32(batchAttr.count, count);
  const result = bpfTry(command, attr);
  const returned = attr.readU32(batchAttr.count);
  if (result === -Errno.ENOENT) return { keys, values, count: returned, next: undefined };
  if (result < 0) throw new BpfSyscallError(command, -result, name ? { map: name } : {});
  return { keys, values, count: returned, next: out };
}

/**
 * Maps an mmapable array map (`BPF_F_MMAPABLE`) into memory: reads and writes go straight
 * to the map. Read-only maps (frozen, or `BPF_F_RDONLY_PROG` with a freeze) need `writable` false.
 * @throws {@link BpfSyscallError} (command `mmap`).
 */
export function mapMemory(mapFd: number, length: number, writable = true, name?: string): Mapping {
  const pageSize = 4096;
  const mapping = getBackend().mmap(mapFd, Math.ceil(length / pageSize) * pageSize, writable, true);
  if (typeof mapping === 'number') throw new BpfSyscallError('mmap', -mapping, name ? { map: name } : {});
  return mapping;
}
