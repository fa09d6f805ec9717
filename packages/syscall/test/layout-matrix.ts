import {
  createMap,
  type MapLayout,
  mapLookup,
  mapLookupAndDelete,
  mapLookupBatch,
  mapUpdate,
  perCpuStride,
  possibleCpus,
  valueBufferSize,
} from '../src/index.js';
import { u32 } from './kernel.js';

/** Map types the layout matrix covers, by name. */
export const MATRIX_TYPES = {
  HASH: 1,
  ARRAY: 2,
  PERCPU_HASH: 5,
  PERCPU_ARRAY: 6,
  LRU_HASH: 9,
  LRU_PERCPU_HASH: 10,
} as const;

/** Value sizes the matrix covers: under a word, a word, a cache line, a page. */
export const MATRIX_VALUE_SIZES = [1, 8, 64, 4096] as const;

const PER_CPU: ReadonlySet<number> = new Set([5, 6, 10]);
const HASHES: ReadonlySet<number> = new Set([1, 5, 9, 10]);

/** Keys each case writes (arrays hold 4 entries, so all of them). */
const KEYS = [0, 1, 2, 3];

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

/** What one matrix case read back, per operation, beside what it wrote. */
export interface CaseResult {
  readonly written: Uint8Array[];
  readonly lookedUp: (Uint8Array | undefined)[];
  /** Values by key from one batch lookup. */
  readonly batched: Map<number, Uint8Array>;
  /** Lookup-and-delete results and whether the key was gone after (hashes only). */
  readonly lookedUpAndDeleted: (Uint8Array | undefined)[] | undefined;
  readonly goneAfterDelete: boolean | undefined;
}

/**
 * Creates a map of `type` with `valueSize`, writes distinct bytes at every key, and reads
 * them back by lookup, by one batch lookup, and (hashes) by lookup-and-delete. Every
 * buffer the kernel fills is sized by the package; an undersized one corrupts the heap.
 */
export function runCase(type: number, valueSize: number): CaseResult {
  const layout: MapLayout & { maxEntries: number } = { type, keySize: 4, valueSize, maxEntries: KEYS.length };
  using map = createMap(layout);
  const written = KEYS.map((key) => elementBytes(type, valueSize, key));
  KEYS.forEach((key, i) => {
    mapUpdate(map.fd, u32(key), written[i] as Uint8Array, layout);
  });
  const lookedUp = KEYS.map((key) => mapLookup(map.fd, u32(key), layout));
  const batch = mapLookupBatch(map.fd, { layout, count: KEYS.length });
  const size = valueBufferSize(layout);
  const batched = new Map<number, Uint8Array>();
  const keyView = new DataView(batch.keys.buffer);
  for (let i = 0; i < batch.count; i++)
    batched.set(keyView.getUint32(i * 4, true), batch.values.slice(i * size, (i + 1) * size));
  let lookedUpAndDeleted: (Uint8Array | undefined)[] | undefined;
  let goneAfterDelete: boolean | undefined;
  if (HASHES.has(type)) {
    lookedUpAndDeleted = KEYS.map((key) => mapLookupAndDelete(map.fd, u32(key), layout));
    goneAfterDelete = KEYS.every((key) => mapLookup(map.fd, u32(key), layout) === undefined);
  }
  return { written, lookedUp, batched, lookedUpAndDeleted, goneAfterDelete };
}

/** Every (type name, type, value size) case of the matrix. */
export const MATRIX_CASES = Object.entries(MATRIX_TYPES).flatMap(([name, type]) =>
  MATRIX_VALUE_SIZES.map((size) => [name, type, size] as const),
);
