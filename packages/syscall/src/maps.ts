import { BpfAttr, nativeBuffer } from './attr.js';
import { backend, type Mapping } from './backend.js';
import { bpfCall, bpfTry, syscallError } from './call.js';
import { BpfCommand } from './commands.js';
import { Errno } from './errno.js';
import { BpfSyscallError } from './errors.js';
import { Fd } from './fd.js';
import { elementScratch } from './scratch.js';

/** Every MAP_CREATE field (offsets from `union bpf_attr`). */
export interface MapCreateOptions {
  /** Kernel-visible name (at most 15 characters). */
  readonly name?: string;
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags?: number;
  /** Prototype map fd for ARRAY_OF_MAPS / HASH_OF_MAPS. */
  readonly innerMapFd?: number;
  readonly numaNode?: number;
  readonly ifindex?: number;
  readonly btfFd?: number;
  readonly btfKeyTypeId?: number;
  readonly btfValueTypeId?: number;
  readonly btfVmlinuxValueTypeId?: number;
  readonly mapExtra?: bigint;
}

/** Size of the MAP_CREATE attr up to `map_extra`. */
const MAP_CREATE_SIZE = 72;

/**
 * BPF_MAP_CREATE.
 * @throws {@link BpfSyscallError} naming the map.
 */
export function createMap(options: MapCreateOptions): Fd {
  const attr = new BpfAttr(MAP_CREATE_SIZE)
    .u32(0, options.type)
    .u32(4, options.keySize)
    .u32(8, options.valueSize)
    .u32(12, options.maxEntries)
    .u32(16, options.flags ?? 0)
    .u32(20, options.innerMapFd ?? 0)
    .u32(24, options.numaNode ?? 0)
    .string(28, 16, options.name ?? '')
    .u32(44, options.ifindex ?? 0)
    .u32(48, options.btfFd ?? 0)
    .u32(52, options.btfKeyTypeId ?? 0)
    .u32(56, options.btfValueTypeId ?? 0)
    .u32(60, options.btfVmlinuxValueTypeId ?? 0)
    .u64(64, options.mapExtra ?? 0n);
  const name = options.name ?? '';
  const fd = bpfCall(BpfCommand.MAP_CREATE, attr, { map: name });
  return new Fd(fd, `map '${name}'`);
}

/** `BPF_ANY`, `BPF_NOEXIST`, `BPF_EXIST`, `BPF_F_LOCK`. */
export const UpdateFlag = { ANY: 0, NOEXIST: 1, EXIST: 2, LOCK: 4 } as const;

function elemAttr(mapFd: number, key: Uint8Array | undefined, value: Uint8Array | undefined, flags: number): BpfAttr {
  return new BpfAttr(32).u32(0, mapFd).pointer(8, key).pointer(16, value).u64(24, flags);
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
  const b = backend();
  let result = b.bpf(command, elementScratch.attr, 32);
  for (let attempt = 0; result === -Errno.EINTR && attempt < 5; attempt++)
    result = b.bpf(command, elementScratch.attr, 32);
  return { result, value: scratch.value };
}

/** BPF_MAP_LOOKUP_ELEM: the value (a fresh copy of `valueSize` bytes), or `undefined` when the key is absent. */
export function mapLookup(
  mapFd: number,
  key: Uint8Array,
  valueSize: number,
  flags = 0,
  name?: string,
): Uint8Array | undefined {
  const { result, value } = elementCall(BpfCommand.MAP_LOOKUP_ELEM, mapFd, key, valueSize, flags);
  if (result === -Errno.ENOENT) return undefined;
  if (result < 0) throw syscallError(BpfCommand.MAP_LOOKUP_ELEM, -result, name ? { map: name } : {}, { mapFd });
  return value.slice(0, valueSize);
}

/** BPF_MAP_UPDATE_ELEM. */
export function mapUpdate(mapFd: number, key: Uint8Array, value: Uint8Array, flags = 0, name?: string): void {
  const { result } = elementCall(BpfCommand.MAP_UPDATE_ELEM, mapFd, key, value.length, flags, value);
  if (result < 0) throw syscallError(BpfCommand.MAP_UPDATE_ELEM, -result, name ? { map: name } : {}, { mapFd });
}

/** BPF_MAP_DELETE_ELEM: true when the key was there. */
export function mapDelete(mapFd: number, key: Uint8Array, name?: string): boolean {
  const result = bpfTry(BpfCommand.MAP_DELETE_ELEM, elemAttr(mapFd, key, undefined, 0));
  if (result === -Errno.ENOENT) return false;
  if (result < 0) throw syscallError(BpfCommand.MAP_DELETE_ELEM, -result, name ? { map: name } : {}, { mapFd });
  return true;
}

/** BPF_MAP_LOOKUP_AND_DELETE_ELEM (queues, stacks, hashes): the value, or `undefined` when absent. */
export function mapLookupAndDelete(
  mapFd: number,
  key: Uint8Array | undefined,
  valueSize: number,
  name?: string,
): Uint8Array | undefined {
  const value = nativeBuffer(valueSize);
  const result = bpfTry(BpfCommand.MAP_LOOKUP_AND_DELETE_ELEM, elemAttr(mapFd, key, value, 0));
  if (result === -Errno.ENOENT) return undefined;
  if (result < 0)
    throw syscallError(BpfCommand.MAP_LOOKUP_AND_DELETE_ELEM, -result, name ? { map: name } : {}, { mapFd });
  return value;
}

/** BPF_MAP_GET_NEXT_KEY: the key after `key` (the first key when `key` is undefined), or `undefined` at the end. */
export function mapNextKey(
  mapFd: number,
  key: Uint8Array | undefined,
  keySize: number,
  name?: string,
): Uint8Array | undefined {
  const next = nativeBuffer(keySize);
  const result = bpfTry(BpfCommand.MAP_GET_NEXT_KEY, elemAttr(mapFd, key, next, 0));
  if (result === -Errno.ENOENT) return undefined;
  if (result < 0) throw syscallError(BpfCommand.MAP_GET_NEXT_KEY, -result, name ? { map: name } : {}, { mapFd });
  return next;
}

/** BPF_MAP_FREEZE: no more writes from user space. */
export function mapFreeze(mapFd: number, name?: string): void {
  bpfCall(BpfCommand.MAP_FREEZE, new BpfAttr(4).u32(0, mapFd), name ? { map: name } : {});
}

/** Result of a batch lookup. */
export interface BatchLookup {
  /** Keys, `count × keySize` bytes. */
  readonly keys: Uint8Array;
  /** Values, `count × valueSize` bytes. */
  readonly values: Uint8Array;
  /** Entries returned. */
  readonly count: number;
  /** Token to continue from, `undefined` when the map is exhausted. */
  readonly next: Uint8Array | undefined;
}

function batchAttr(mapFd: number): BpfAttr {
  return new BpfAttr(56).u32(36, mapFd);
}

/**
 * BPF_MAP_UPDATE_BATCH of `count` entries packed in `keys` and `values`; returns how many
 * were written before any error.
 * @throws {@link BpfSyscallError} (after `written` entries) when an entry fails.
 */
export function mapUpdateBatch(
  mapFd: number,
  keys: Uint8Array,
  values: Uint8Array,
  count: number,
  flags = 0,
  name?: string,
): number {
  const attr = updateBatchAttr(mapFd, keys, values, count, flags);
  bpfCall(BpfCommand.MAP_UPDATE_BATCH, attr, name ? { map: name } : {});
  return attr.readU32(32);
}

/** The attr of a BPF_MAP_UPDATE_BATCH; the kernel writes the number of entries written back at byte 32. */
export function updateBatchAttr(
  mapFd: number,
  keys: Uint8Array,
  values: Uint8Array,
  count: number,
  flags: number,
): BpfAttr {
  return batchAttr(mapFd).pointer(16, keys).pointer(24, values).u32(32, count).u64(40, flags);
}

/** BPF_MAP_DELETE_BATCH of `count` keys; returns how many were deleted. */
export function mapDeleteBatch(mapFd: number, keys: Uint8Array, count: number, name?: string): number {
  const attr = batchAttr(mapFd).pointer(16, keys).u32(32, count);
  bpfCall(BpfCommand.MAP_DELETE_BATCH, attr, name ? { map: name } : {});
  return attr.readU32(32);
}

/**
 * BPF_MAP_LOOKUP_BATCH (or LOOKUP_AND_DELETE_BATCH): up to `count` entries after the token
 * `from` (the start when undefined). The token is `batchSize` bytes (the key size for hashes,
 * 4 for arrays).
 */
export function mapLookupBatch(
  mapFd: number,
  options: {
    keySize: number;
    valueSize: number;
    count: number;
    from?: Uint8Array;
    tokenSize?: number;
    andDelete?: boolean;
  },
  name?: string,
): BatchLookup {
  const tokenSize = Math.max(options.tokenSize ?? options.keySize, 4);
  const out = nativeBuffer(tokenSize);
  const keys = nativeBuffer(options.keySize * options.count);
  const values = nativeBuffer(options.valueSize * options.count);
  const attr = batchAttr(mapFd)
    .pointer(0, options.from)
    .pointer(8, out)
    .pointer(16, keys)
    .pointer(24, values)
    .u32(32, options.count);
  const command = options.andDelete ? BpfCommand.MAP_LOOKUP_AND_DELETE_BATCH : BpfCommand.MAP_LOOKUP_BATCH;
  const result = bpfTry(command, attr);
  const count = attr.readU32(32);
  if (result === -Errno.ENOENT) return { keys, values, count, next: undefined };
  if (result < 0) throw new BpfSyscallError(command, -result, name ? { map: name } : {});
  return { keys, values, count, next: out };
}

/**
 * Maps an mmapable array map (`BPF_F_MMAPABLE`) into memory: reads and writes go straight
 * to the map. Read-only maps (frozen, or `BPF_F_RDONLY_PROG` with a freeze) need `writable` false.
 * @throws {@link BpfSyscallError} (command `mmap`).
 */
export function mapMemory(mapFd: number, length: number, writable = true, name?: string): Mapping {
  const pageSize = 4096;
  const mapping = backend().mmap(mapFd, Math.ceil(length / pageSize) * pageSize, writable, true);
  if (typeof mapping === 'number') throw new BpfSyscallError('mmap', -mapping, name ? { map: name } : {});
  return mapping;
}
