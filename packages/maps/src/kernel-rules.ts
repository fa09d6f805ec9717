import { MapFlag, MapType } from '@bpfkit/uapi';
import { MapError } from './errors.js';
import { ringBufferSize } from './kernel-defaults.js';
import type { MapSpec } from './spec.js';

/** One rule the kernel enforces when it creates a map, and whether a definition keeps it. */
interface MapRule {
  /** The attribute involved, as libbpf names it. */
  readonly field: 'key_size' | 'value_size' | 'max_entries' | 'map_flags';
  /** What the kernel accepts, in words (`4`, `0`, `> 0`, `≤ 32768 (rounded up to 8)`). */
  readonly expected: string;
  /** True when `spec` keeps the rule. */
  holds(spec: MapSpec): boolean;
  /** What it reads in `spec`. */
  actual(spec: MapSpec): number | string;
}

/** A percpu value is allocated per CPU from units of this size (the kernel's PCPU_MIN_UNIT_SIZE): a larger value gets E2BIG. */
const PERCPU_VALUE_LIMIT = 32 * 1024;
/** Programs build keys on their 512-byte stack, so hash-like maps refuse larger keys (E2BIG). */
const MAX_BPF_STACK = 512;
/** An LPM trie key is a 4-byte prefix length then 1 to 256 bytes of data. */
const LPM_KEY_MIN = 5;
const LPM_KEY_MAX = 4 + 256;

const flagText = (flags: number) => `0x${flags.toString(16)}`;
const sizeIs = (field: 'key_size' | 'value_size', size: number): MapRule => ({
  field,
  expected: String(size),
  holds: (s) => (field === 'key_size' ? s.keySize : s.valueSize) === size,
  actual: (s) => (field === 'key_size' ? s.keySize : s.valueSize),
});
const sizePositive = (field: 'key_size' | 'value_size'): MapRule => ({
  field,
  expected: '> 0',
  holds: (s) => (field === 'key_size' ? s.keySize : s.valueSize) > 0,
  actual: (s) => (field === 'key_size' ? s.keySize : s.valueSize),
});
const entries = (expected: '> 0' | '0'): MapRule => ({
  field: 'max_entries',
  expected,
  holds: (s) => (expected === '0' ? s.maxEntries === 0 : s.maxEntries > 0),
  actual: (s) => s.maxEntries,
});
const flagRequired = (flag: number, name: string): MapRule => ({
  field: 'map_flags',
  expected: `${name} set`,
  holds: (s) => (s.flags & flag) !== 0,
  actual: (s) => flagText(s.flags),
});
const flagRefused = (flag: number, name: string): MapRule => ({
  field: 'map_flags',
  expected: `${name} clear`,
  holds: (s) => (s.flags & flag) === 0,
  actual: (s) => flagText(s.flags),
});
const keyAtMost = (limit: number): MapRule => ({
  field: 'key_size',
  expected: `≤ ${limit}`,
  holds: (s) => s.keySize <= limit,
  actual: (s) => s.keySize,
});
const percpuValue: MapRule = {
  field: 'value_size',
  expected: `≤ ${PERCPU_VALUE_LIMIT} (rounded up to 8)`,
  holds: (s) => Math.ceil(s.valueSize / 8) * 8 <= PERCPU_VALUE_LIMIT,
  actual: (s) => s.valueSize,
};
const lpmKey: MapRule = {
  field: 'key_size',
  expected: `${LPM_KEY_MIN} to ${LPM_KEY_MAX}`,
  holds: (s) => s.keySize >= LPM_KEY_MIN && s.keySize <= LPM_KEY_MAX,
  actual: (s) => s.keySize,
};

const noPrealloc = flagRefused(MapFlag.NO_PREALLOC, 'BPF_F_NO_PREALLOC');
const notMmapable = flagRefused(MapFlag.MMAPABLE, 'BPF_F_MMAPABLE');
const hashRules = [sizePositive('key_size'), keyAtMost(MAX_BPF_STACK), entries('> 0'), notMmapable];
const fdArrayRules = [sizeIs('key_size', 4), sizeIs('value_size', 4), noPrealloc, notMmapable];
const storageRules = [
  sizeIs('key_size', 4),
  sizePositive('value_size'),
  entries('0'),
  flagRequired(MapFlag.NO_PREALLOC, 'BPF_F_NO_PREALLOC'),
];
const ringRules = [sizeIs('key_size', 0), sizeIs('value_size', 0), entries('> 0')];

/**
 * What the kernel checks when it creates a map of each type (its `map_alloc_check`s), for
 * the types with rules that can be read off a definition. Types not listed are left to the kernel.
 */
const rulesByType: ReadonlyMap<number, readonly MapRule[]> = new Map([
  [MapType.HASH, [...hashRules, sizePositive('value_size')]],
  [MapType.LRU_HASH, [...hashRules, sizePositive('value_size')]],
  [MapType.PERCPU_HASH, [...hashRules, sizePositive('value_size'), percpuValue]],
  [MapType.LRU_PERCPU_HASH, [...hashRules, sizePositive('value_size'), percpuValue]],
  [MapType.HASH_OF_MAPS, [...hashRules, sizeIs('value_size', 4)]],
  [MapType.ARRAY, [sizeIs('key_size', 4), sizePositive('value_size'), entries('> 0'), noPrealloc]],
  [
    MapType.PERCPU_ARRAY,
    [sizeIs('key_size', 4), sizePositive('value_size'), entries('> 0'), noPrealloc, notMmapable, percpuValue],
  ],
  [MapType.PROG_ARRAY, [...fdArrayRules, entries('> 0')]],
  [MapType.PERF_EVENT_ARRAY, fdArrayRules],
  [MapType.CGROUP_ARRAY, [...fdArrayRules, entries('> 0')]],
  [MapType.ARRAY_OF_MAPS, [...fdArrayRules, entries('> 0')]],
  [
    MapType.LPM_TRIE,
    [lpmKey, sizePositive('value_size'), entries('> 0'), flagRequired(MapFlag.NO_PREALLOC, 'BPF_F_NO_PREALLOC')],
  ],
  [MapType.QUEUE, [sizeIs('key_size', 0), sizePositive('value_size'), entries('> 0')]],
  [MapType.STACK, [sizeIs('key_size', 0), sizePositive('value_size'), entries('> 0')]],
  [MapType.BLOOM_FILTER, [sizeIs('key_size', 0), sizePositive('value_size'), entries('> 0')]],
  [MapType.RINGBUF, ringRules],
  [MapType.USER_RINGBUF, ringRules],
  [MapType.SK_STORAGE, storageRules],
  [MapType.INODE_STORAGE, storageRules],
  [MapType.TASK_STORAGE, storageRules],
  [MapType.CGRP_STORAGE, storageRules],
]);

/** The rules `spec` breaks, each as a {@link MapError} `kernel-rule` naming the map (or `outer.inner`). */
function broken(spec: MapSpec, name: string, object: string | undefined): MapError[] {
  return (rulesByType.get(spec.type) ?? [])
    .filter((rule) => !rule.holds(spec))
    .map(
      (rule) =>
        new MapError('kernel-rule', `the kernel refuses this ${rule.field} for maps of type ${typeWord(spec.type)}`, {
          ...(object === undefined ? {} : { object }),
          map: name,
          field: rule.field,
          expected: rule.expected,
          actual: rule.actual(spec),
        }),
    );
}

const typeWord = (type: number) => Object.entries(MapType).find(([, v]) => v === type)?.[0] ?? String(type);

/**
 * Every rule of the kernel's map creation that the definitions break, inner definitions of
 * map-in-maps included (named `outer.inner`), found without a kernel call: sizes, entries and
 * flags per map type. The kernel would answer EINVAL or E2BIG when the loader creates them.
 */
export function mapKernelRuleProblems(maps: readonly MapSpec[], object?: string): MapError[] {
  return maps.flatMap((m) => [
    ...broken(m, m.name, object),
    ...(m.inner === undefined ? [] : broken(m.inner, `${m.name}.inner`, object)),
  ]);
}

/** A ring buffer the loader creates larger than its definition says. */
export interface RoundedRingBuffer {
  /** The map's name. */
  readonly map: string;
  /** `max_entries` as defined, in bytes. */
  readonly size: number;
  /** The size it is created with: the next power-of-two number of pages. */
  readonly created: number;
}

/**
 * Ring buffers whose size is not a power-of-two number of pages: they load, because the
 * loader rounds the size up as libbpf does, but get more memory than the object says.
 */
export function roundedRingBuffers(maps: readonly MapSpec[], pageSize: number): RoundedRingBuffer[] {
  return maps
    .filter((m) => m.type === MapType.RINGBUF || m.type === MapType.USER_RINGBUF)
    .map((m) => ({ map: m.name, size: m.maxEntries, created: ringBufferSize(m.maxEntries, pageSize) }))
    .filter((r) => r.size !== 0 && r.size !== r.created);
}
