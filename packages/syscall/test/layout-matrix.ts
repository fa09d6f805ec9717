import { closeSync, mkdirSync, openSync, rmdirSync, statSync } from 'node:fs';
import {
  createLink,
  createMap,
  type Fd,
  loadProgram,
  type MapLayout,
  mapLookup,
  mapLookupAndDelete,
  mapLookupBatch,
  mapNextKey,
  mapUpdate,
  perCpuStride,
  possibleCpus,
  valueBufferSize,
} from '../src/index.js';
import { assemble, u32, u64 } from './kernel.js';

/** Map types the layout matrix covers, by name: every type whose values user space reads at a size of its choosing. */
export const MATRIX_TYPES = {
  HASH: 1,
  ARRAY: 2,
  PERCPU_HASH: 5,
  PERCPU_ARRAY: 6,
  LRU_HASH: 9,
  LRU_PERCPU_HASH: 10,
  CGROUP_STORAGE: 19,
  PERCPU_CGROUP_STORAGE: 21,
  QUEUE: 22,
  STACK: 23,
} as const;

/** Value sizes the matrix covers: under a word, a word, a cache line, a page. */
export const MATRIX_VALUE_SIZES = [1, 8, 64, 4096] as const;

const PER_CPU: ReadonlySet<number> = new Set([5, 6, 10, 21]);
const HASHES: ReadonlySet<number> = new Set([1, 5, 9, 10]);
const KEYLESS: ReadonlySet<number> = new Set([22, 23]);
const CGROUP_STORAGE: ReadonlySet<number> = new Set([19, 21]);
const LRU: ReadonlySet<number> = new Set([9, 10]);

/** Keys each case writes (arrays hold 4 entries, so all of them). */
const KEYS = [0, 1, 2, 3];

/**
 * The `max_entries` a keyed case creates its map with: 4, the keys it writes, except for
 * LRU hashes. Their free elements sit in per-CPU lists of up to 128, and an update on a CPU
 * whose list and the shared one are empty evicts a live element, so a 4-entry LRU map loses
 * a key when the process moves to another CPU between writes. Room for every CPU's list
 * keeps all four.
 */
export function matrixMaxEntries(type: number): number {
  return LRU.has(type) ? possibleCpus() * 128 + KEYS.length : KEYS.length;
}

/**
 * The element a test writes at `key`: for per-CPU maps one value per possible CPU, each
 * with bytes of its own (CPU, key and offset mixed in), padding zero; else one value.
 */
export function elementBytes(type: number, valueSize: number, key: number): Uint8Array {
  const cpus = PER_CPU.has(type) ? possibleCpus() : 1;
  const stride = PER_CPU.has(type) ? perCpuStride(valueSize) : valueSize;
  const bytes = new Uint8Array(stride * cpus);
  for (let cpu = 0; cpu < cpus; cpu++)
    for (let i = 0; i < valueSize; i++) bytes[cpu * stride + i] = (cpu * 37 + i * 7 + key * 11 + 1) & 0xff;
  return bytes;
}

/** One read of a matrix case: what the kernel gave back, beside what the writes make it give. */
export interface CaseCheck {
  readonly what: string;
  readonly read: unknown;
  readonly expected: unknown;
}

/**
 * Creates a map of `type` with `valueSize`, writes distinct bytes, and reads them back by
 * every command the type answers: lookup and one batch lookup for keyed maps, lookup-and-
 * delete one by one and in a batch for hashes, peek and pop for queues and stacks, lookup
 * and next key for cgroup storage (whose element a program attached to a cgroup makes).
 * Every buffer the kernel fills is sized by the package; an undersized one corrupts the heap.
 */
export function runCase(type: number, valueSize: number): CaseCheck[] {
  if (KEYLESS.has(type)) return keylessCase(type, valueSize);
  if (CGROUP_STORAGE.has(type)) return cgroupStorageCase(type, valueSize);
  const layout: MapLayout & { maxEntries: number } = {
    type,
    keySize: 4,
    valueSize,
    maxEntries: matrixMaxEntries(type),
  };
  using map = createMap(layout);
  const written = KEYS.map((key) => elementBytes(type, valueSize, key));
  KEYS.forEach((key, i) => {
    mapUpdate(map.fd, u32(key), written[i] as Uint8Array, layout);
  });
  const checks: CaseCheck[] = [
    { what: 'lookup', read: KEYS.map((key) => mapLookup(map.fd, u32(key), layout)), expected: written },
  ];
  checks.push({ what: 'batch lookup', read: batchRead(map.fd, layout, false), expected: written });
  if (HASHES.has(type)) {
    const deleted = KEYS.map((key) => mapLookupAndDelete(map.fd, u32(key), layout));
    checks.push({ what: 'lookup-and-delete', read: deleted, expected: written });
    const left = KEYS.map((key) => mapLookup(map.fd, u32(key), layout));
    checks.push({ what: 'gone after lookup-and-delete', read: left, expected: KEYS.map(() => undefined) });
    KEYS.forEach((key, i) => {
      mapUpdate(map.fd, u32(key), written[i] as Uint8Array, layout);
    });
    checks.push({ what: 'batch lookup-and-delete', read: batchRead(map.fd, layout, true), expected: written });
    const emptied = KEYS.map((key) => mapLookup(map.fd, u32(key), layout));
    checks.push({ what: 'gone after batch lookup-and-delete', read: emptied, expected: KEYS.map(() => undefined) });
  }
  return checks;
}

/** The values of keys 0 to 3, in key order, from one batch lookup (or lookup-and-delete) of the whole map. */
function batchRead(mapFd: number, layout: MapLayout, andDelete: boolean): (Uint8Array | undefined)[] {
  const batch = mapLookupBatch(mapFd, { layout, count: KEYS.length, andDelete });
  const size = valueBufferSize(layout);
  const byKey = new Map<number, Uint8Array>();
  const keyView = new DataView(batch.keys.buffer);
  for (let i = 0; i < batch.count; i++)
    byKey.set(keyView.getUint32(i * 4, true), batch.values.slice(i * size, (i + 1) * size));
  return KEYS.map((key) => byKey.get(key));
}

/** A queue (first in, first out) or stack (last in, first out): pushed by update, peeked by lookup, popped by lookup-and-delete. */
function keylessCase(type: number, valueSize: number): CaseCheck[] {
  const layout: MapLayout & { maxEntries: number } = { type, keySize: 0, valueSize, maxEntries: KEYS.length };
  using map = createMap(layout);
  const none = new Uint8Array(0);
  const written = KEYS.map((key) => elementBytes(type, valueSize, key));
  for (const value of written) mapUpdate(map.fd, none, value, layout);
  const order = type === MATRIX_TYPES.QUEUE ? written : [...written].reverse();
  return [
    { what: 'peek (lookup)', read: mapLookup(map.fd, none, layout), expected: order[0] },
    {
      what: 'pop (lookup-and-delete)',
      read: KEYS.map(() => mapLookupAndDelete(map.fd, undefined, layout)),
      expected: order,
    },
    { what: 'empty after the pops', read: mapLookupAndDelete(map.fd, undefined, layout), expected: undefined },
  ];
}

/** `BPF_PROG_TYPE_CGROUP_SKB` and `BPF_CGROUP_INET_EGRESS`. */
const CGROUP_SKB = 8;
const CGROUP_INET_EGRESS = 1;

/** A cgroup storage map holding one element, written with {@link elementBytes}; `close` undoes it all. */
export interface CgroupStorageElement {
  readonly map: Fd;
  readonly layout: MapLayout;
  /** The element's key: the cgroup's id (its inode number), as a u64. */
  readonly key: Uint8Array;
  readonly written: Uint8Array;
  close(): void;
}

/**
 * Cgroup storage has one element per cgroup a program using the map is attached to: a
 * CGROUP_SKB program calling `bpf_get_local_storage` is linked to a cgroup made for the
 * purpose, and the element is written by the cgroup's id. On a failure, what was made is undone.
 */
export function cgroupStorageElement(type: number, valueSize: number): CgroupStorageElement {
  const layout: MapLayout & { maxEntries: number } = { type, keySize: 8, valueSize, maxEntries: 0 };
  const undo: (() => void)[] = [];
  const close = () => {
    for (const step of undo.reverse()) step();
    undo.length = 0;
  };
  try {
    const map = createMap(layout);
    undo.push(() => map.close());
    const instructions = assemble(
      [0x18, 1, 1, 0, map.fd], // r1 = the map (BPF_PSEUDO_MAP_FD)
      [0, 0, 0, 0, 0],
      [0xb7, 2, 0, 0, 0], // r2 = 0
      [0x85, 0, 0, 0, 81], // call bpf_get_local_storage
      [0xb7, 0, 0, 0, 1], // r0 = 1 (let the packet through)
      [0x95, 0, 0, 0, 0], // exit
    );
    const program = loadProgram({ type: CGROUP_SKB, instructions, license: 'GPL', name: 'storage' }).fd;
    undo.push(() => program.close());
    const dir = `/sys/fs/cgroup/unified/bpfkit-layout-${process.pid}-${type}-${valueSize}`;
    mkdirSync(dir);
    undo.push(() => rmdirSync(dir));
    const cgroup = openSync(dir, 'r');
    undo.push(() => closeSync(cgroup));
    const link = createLink({ programFd: program.fd, target: cgroup, attachType: CGROUP_INET_EGRESS });
    undo.push(() => link.close());
    const key = u64(BigInt(statSync(dir).ino));
    const written = elementBytes(type, valueSize, 1);
    mapUpdate(map.fd, key, written, layout);
    return { map, layout, key, written, close };
  } catch (error) {
    close();
    throw error;
  }
}

/** Cgroup storage, read back by lookup and walked by next key. */
function cgroupStorageCase(type: number, valueSize: number): CaseCheck[] {
  const storage = cgroupStorageElement(type, valueSize);
  try {
    const { map, layout, key, written } = storage;
    return [
      { what: 'lookup', read: mapLookup(map.fd, key, layout), expected: written },
      { what: 'next key', read: mapNextKey(map.fd, undefined, layout), expected: key },
    ];
  } finally {
    storage.close();
  }
}

/** Every (type name, type, value size) case of the matrix. */
export const MATRIX_CASES = Object.entries(MATRIX_TYPES).flatMap(([name, type]) =>
  MATRIX_VALUE_SIZES.map((size) => [name, type, size] as const),
);

/** The cases `bpfkit map dump` reads: maps walked by next key (queues and stacks have no keys); cgroup storage apart, as a program makes its element. */
export const DUMP_CASES = MATRIX_CASES.filter(([, type]) => !KEYLESS.has(type) && !CGROUP_STORAGE.has(type));
/** The cgroup storage cases of the matrix. */
export const CGROUP_STORAGE_CASES = MATRIX_CASES.filter(([, type]) => CGROUP_STORAGE.has(type));
