import { isPerCpuMapType, MapType } from '@bpfkit/uapi';
import { POSSIBLE_CPUS_PATH, possibleCpus } from './cpus.js';
import { Errno } from './errno.js';
import { BpfSyscallError } from './errors.js';
import { knownLayout, rememberLayout } from './known-layouts.js';
import { mapInfo } from './objects.js';

const { readlinkSync } = process.getBuiltinModule('node:fs');

/**
 * What the kernel's element commands need to know about a map to size the buffers it
 * reads and writes: its type and its key and value sizes as created. A {@link MapCreateOptions}
 * is one; for a map someone else created, ask the kernel with {@link mapLayout}.
 */
export interface MapLayout {
  /** `BPF_MAP_TYPE_*`. */
  readonly type: number;
  /** Key size in bytes (0 for queues, stacks and bloom filters). */
  readonly keySize: number;
  /** Value size in bytes as created (per CPU, for per-CPU maps). */
  readonly valueSize: number;
}

/** Map types whose values user space reads back as a 4-byte id or fd (the kernel's `IS_FD_MAP`). */
const FD_TYPES: ReadonlySet<number> = new Set([
  MapType.PROG_ARRAY,
  MapType.PERF_EVENT_ARRAY,
  MapType.CGROUP_ARRAY,
  MapType.ARRAY_OF_MAPS,
  MapType.HASH_OF_MAPS,
]);

/** `BPF_F_CPU` and `BPF_F_ALL_CPUS`: element flags that make a per-CPU call move one CPU's value. */
const ONE_CPU_FLAGS = 8 | 16;

/** True for a whole number from 0 to 2^32-1 (what a u32 field of `union bpf_attr` holds). */
function isU32(value: number): boolean {
  return value >>> 0 === value;
}

/** The distance between two CPUs' values in a per-CPU buffer: the value size rounded up to 8. */
export function perCpuStride(valueSize: number): number {
  return Math.ceil(valueSize / 8) * 8;
}

/**
 * The one rule for value buffers the kernel fills or reads (the kernel's
 * `bpf_map_value_size`): bytes for `count` elements' values of a map laid out as `layout`.
 * Per-CPU maps take the value size rounded up to 8 for each possible CPU (one CPU's worth
 * with `BPF_F_CPU`/`BPF_F_ALL_CPUS` in `flags`); maps of fds and ids take 4 bytes; the rest
 * their value size. Every value buffer this package hands the kernel is sized here.
 */
export function valueBufferSize(layout: MapLayout, count = 1, flags = 0): number {
  let one: number;
  if (isPerCpuMapType(layout.type))
    one = perCpuStride(layout.valueSize) * ((flags & ONE_CPU_FLAGS) !== 0 ? 1 : possibleCpus());
  else if (FD_TYPES.has(layout.type)) one = 4;
  else one = layout.valueSize;
  return one * count;
}

/** Bytes for `count` keys of a map laid out as `layout`: the key buffers' counterpart of {@link valueBufferSize}. */
export function keyBufferSize(layout: MapLayout, count = 1): number {
  return layout.keySize * count;
}

/**
 * The layout of the map behind `mapFd`, as the kernel reports it (BPF_OBJ_GET_INFO_BY_FD):
 * what to pass to the element commands for a map this process did not create.
 */
export function mapLayout(mapFd: number): MapLayout {
  const { type, keySize, valueSize } = mapInfo(mapFd);
  return { type, keySize, valueSize };
}

const LAYOUT_HINT = 'take the layout from mapLayout(fd), or from the options the map was created with';

/**
 * Refuses a layout whose sizes the kernel could not have: each must be a whole number of
 * bytes that fits a u32, so that buffers sized from it are what they claim. Given the map's
 * descriptor, also refuses a layout other than the map's own: the kernel writes as many
 * bytes as the map's layout says, whatever buffer it is given.
 * @throws {@link BpfSyscallError} (EINVAL, before any kernel call) naming the field.
 */
export function checkLayout(
  command: number | string,
  layout: MapLayout,
  map: string | undefined,
  mapFd?: number,
): void {
  if (!isU32(layout.type) || !isU32(layout.keySize) || !isU32(layout.valueSize)) {
    for (const field of ['keySize', 'valueSize', 'type'] as const) {
      const value = layout[field];
      if (!isU32(value))
        throw new BpfSyscallError(
          command,
          Errno.EINVAL,
          {
            ...(map ? { map } : {}),
            field: `layout ${field}`,
            actual: String(value),
            expected: 'a whole number from 0 to 2^32-1',
          },
          [],
          {},
          LAYOUT_HINT,
        );
    }
  }
  if (mapFd === undefined) return;
  const actual = layoutOfMap(mapFd);
  if (
    actual === undefined ||
    (actual.type === layout.type && actual.keySize === layout.keySize && actual.valueSize === layout.valueSize)
  )
    return;
  throw new BpfSyscallError(
    command,
    Errno.EINVAL,
    { ...(map ? { map } : {}), field: 'layout', actual: describeLayout(layout), expected: describeLayout(actual) },
    [],
    {},
    LAYOUT_HINT,
  );
}

/** `type 6, key 4 bytes, value 64 bytes`. */
function describeLayout(layout: MapLayout): string {
  return `type ${layout.type}, key ${layout.keySize} bytes, value ${layout.valueSize} bytes`;
}

/**
 * The layout of the map behind `mapFd`: recorded for descriptors this thread's open `Fd`s
 * own (read from the kernel on first use), asked of the kernel each time for others.
 * `undefined` when `mapFd` is not a map (the element call then fails without writing).
 */
function layoutOfMap(mapFd: number): MapLayout | undefined {
  const known = knownLayout(mapFd);
  if (known) return known;
  try {
    // BPF_OBJ_GET_INFO_BY_FD answers for programs and links too, in another layout.
    if (readlinkSync(`/proc/self/fd/${mapFd}`) !== 'anon_inode:bpf-map') return undefined;
  } catch {
    // Without /proc, the kernel's answer is taken as a map's.
  }
  let layout: MapLayout;
  try {
    layout = mapLayout(mapFd);
  } catch {
    return undefined;
  }
  rememberLayout(mapFd, layout);
  return layout;
}

/** What to pass instead, per refused buffer. */
const SIZE_HINTS = {
  key: "pass a key of exactly the map's key size",
  keys: "pass the keys packed, exactly the map's key size times the count",
  value: "pass a value of exactly the map's value size",
  values: "pass the values packed, exactly the map's value size times the count",
  token: 'pass the `next` token the previous batch returned',
  "one CPU's value": "give each CPU a value of exactly the map's value size",
} as const;

/**
 * Refuses a buffer the kernel would read past or only partly: `actual` bytes given where
 * the layout needs `expected`. Per-CPU values get a hint about their shape.
 * @throws {@link BpfSyscallError} (EINVAL, before any kernel call) with both sizes.
 */
export function checkBufferSize(
  command: number | string,
  layout: MapLayout,
  field: keyof typeof SIZE_HINTS,
  actual: number,
  expected: number,
  map: string | undefined,
): void {
  if (actual === expected) return;
  const perCpu = (field === 'value' || field === 'values') && isPerCpuMapType(layout.type);
  const hint = perCpu
    ? `a per-CPU value is ${possibleCpus()} values (one per possible CPU), each ${layout.valueSize} bytes padded to ${perCpuStride(layout.valueSize)}`
    : SIZE_HINTS[field];
  throw new BpfSyscallError(
    command,
    Errno.EINVAL,
    { ...(map ? { map } : {}), field, expected: `${expected} bytes`, actual: `${actual} bytes` },
    [],
    {},
    hint,
  );
}

/**
 * One CPU's bytes after another: the values of a per-CPU buffer of `layout` (as a lookup
 * returns it), each `valueSize` bytes, as views into `buffer`.
 * @throws {@link BpfSyscallError} (EINVAL) when `buffer` is not one per-CPU element of the layout.
 */
export function splitPerCpu(layout: MapLayout, buffer: Uint8Array): Uint8Array[] {
  checkBufferSize('split per-CPU value', layout, 'value', buffer.length, valueBufferSize(layout), undefined);
  const stride = perCpuStride(layout.valueSize);
  return Array.from({ length: buffer.length / stride }, (_, cpu) =>
    buffer.subarray(cpu * stride, cpu * stride + layout.valueSize),
  );
}

/**
 * The per-CPU buffer of `layout` holding `values`, one per possible CPU, each `valueSize`
 * bytes (placed at the 8-byte stride, padding zeroed): what an update of a per-CPU map takes.
 * @throws {@link BpfSyscallError} (EINVAL) when the count or a value's size is wrong.
 */
export function joinPerCpu(layout: MapLayout, values: readonly Uint8Array[], map?: string): Uint8Array {
  const cpus = possibleCpus();
  if (values.length !== cpus)
    throw new BpfSyscallError(
      'join per-CPU values',
      Errno.EINVAL,
      { ...(map ? { map } : {}), field: 'per-CPU values', expected: `${cpus} values`, actual: `${values.length}` },
      [],
      {},
      `give one value per possible CPU (${cpus} here, from ${POSSIBLE_CPUS_PATH}), or one value for all`,
    );
  const stride = perCpuStride(layout.valueSize);
  const buffer = new Uint8Array(new ArrayBuffer(stride * cpus));
  values.forEach((value, cpu) => {
    checkBufferSize('join per-CPU values', layout, "one CPU's value", value.length, layout.valueSize, map);
    buffer.set(value, cpu * stride);
  });
  return buffer;
}
