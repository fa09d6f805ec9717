/** `enum bpf_map_type` values (`BPF_MAP_TYPE_*`). */
export const MapType = {
  /** `BPF_MAP_TYPE_UNSPEC` */
  UNSPEC: 0,
  /** `BPF_MAP_TYPE_HASH` */
  HASH: 1,
  /** `BPF_MAP_TYPE_ARRAY` */
  ARRAY: 2,
  /** `BPF_MAP_TYPE_PROG_ARRAY`: slots hold programs, for tail calls. */
  PROG_ARRAY: 3,
  /** `BPF_MAP_TYPE_PERF_EVENT_ARRAY` */
  PERF_EVENT_ARRAY: 4,
  /** `BPF_MAP_TYPE_PERCPU_HASH` */
  PERCPU_HASH: 5,
  /** `BPF_MAP_TYPE_PERCPU_ARRAY` */
  PERCPU_ARRAY: 6,
  /** `BPF_MAP_TYPE_STACK_TRACE` */
  STACK_TRACE: 7,
  /** `BPF_MAP_TYPE_CGROUP_ARRAY` */
  CGROUP_ARRAY: 8,
  /** `BPF_MAP_TYPE_LRU_HASH` */
  LRU_HASH: 9,
  /** `BPF_MAP_TYPE_LRU_PERCPU_HASH` */
  LRU_PERCPU_HASH: 10,
  /** `BPF_MAP_TYPE_LPM_TRIE` */
  LPM_TRIE: 11,
  /** `BPF_MAP_TYPE_ARRAY_OF_MAPS`: slots hold maps, indexed by number. */
  ARRAY_OF_MAPS: 12,
  /** `BPF_MAP_TYPE_HASH_OF_MAPS`: slots hold maps, keyed. */
  HASH_OF_MAPS: 13,
  /** `BPF_MAP_TYPE_DEVMAP` */
  DEVMAP: 14,
  /** `BPF_MAP_TYPE_SOCKMAP` */
  SOCKMAP: 15,
  /** `BPF_MAP_TYPE_CPUMAP` */
  CPUMAP: 16,
  /** `BPF_MAP_TYPE_XSKMAP` */
  XSKMAP: 17,
  /** `BPF_MAP_TYPE_SOCKHASH` */
  SOCKHASH: 18,
  /** `BPF_MAP_TYPE_CGROUP_STORAGE` */
  CGROUP_STORAGE: 19,
  /** `BPF_MAP_TYPE_REUSEPORT_SOCKARRAY` */
  REUSEPORT_SOCKARRAY: 20,
  /** `BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE` */
  PERCPU_CGROUP_STORAGE: 21,
  /** `BPF_MAP_TYPE_QUEUE` */
  QUEUE: 22,
  /** `BPF_MAP_TYPE_STACK` */
  STACK: 23,
  /** `BPF_MAP_TYPE_SK_STORAGE` */
  SK_STORAGE: 24,
  /** `BPF_MAP_TYPE_DEVMAP_HASH` */
  DEVMAP_HASH: 25,
  /** `BPF_MAP_TYPE_STRUCT_OPS` */
  STRUCT_OPS: 26,
  /** `BPF_MAP_TYPE_RINGBUF` */
  RINGBUF: 27,
  /** `BPF_MAP_TYPE_INODE_STORAGE` */
  INODE_STORAGE: 28,
  /** `BPF_MAP_TYPE_TASK_STORAGE` */
  TASK_STORAGE: 29,
  /** `BPF_MAP_TYPE_BLOOM_FILTER` */
  BLOOM_FILTER: 30,
  /** `BPF_MAP_TYPE_USER_RINGBUF` */
  USER_RINGBUF: 31,
  /** `BPF_MAP_TYPE_CGRP_STORAGE` */
  CGRP_STORAGE: 32,
  /** `BPF_MAP_TYPE_ARENA` */
  ARENA: 33,
} as const;

/** The `BPF_MAP_TYPE_*` name of a map type number, e.g. `ARRAY_OF_MAPS`. */
export function mapTypeName(type: number): string {
  for (const [name, value] of Object.entries(MapType)) if (value === type) return name;
  return `UNKNOWN(${type})`;
}

/** `BPF_F_*` map flags this package reasons about. */
export const MapFlag = {
  /** `BPF_F_NO_PREALLOC` */
  NO_PREALLOC: 0x1,
  /** `BPF_F_NUMA_NODE` */
  NUMA_NODE: 0x4,
  /** `BPF_F_RDONLY_PROG`: programs may only read (set on `.rodata` and `.kconfig`). */
  RDONLY_PROG: 0x80,
  /** `BPF_F_MMAPABLE`: user space may mmap an array map. */
  MMAPABLE: 0x400,
  /** `BPF_F_INNER_MAP`: inner array maps of any `max_entries` fit the prototype. */
  INNER_MAP: 0x1000,
  /** `BPF_F_LINK`: a struct_ops map registered through a link, not by its update. */
  LINK: 0x2000,
  /** `BPF_F_VTYPE_BTF_OBJ_FD`: a struct_ops map's value type is in the module BTF `value_type_btf_obj_fd` names. */
  VTYPE_BTF_OBJ_FD: 0x8000,
} as const;

/** `pinning` attribute values (`LIBBPF_PIN_*`). */
export const PinType = {
  /** `LIBBPF_PIN_NONE` */
  NONE: 0,
  /** `LIBBPF_PIN_BY_NAME`: pinned at `<pin root>/<map name>`. */
  BY_NAME: 1,
} as const;

/** Map types whose values user space reads and writes as one value per possible CPU. */
const perCpuTypes: ReadonlySet<number> = new Set([
  MapType.PERCPU_HASH,
  MapType.PERCPU_ARRAY,
  MapType.LRU_PERCPU_HASH,
  MapType.PERCPU_CGROUP_STORAGE,
]);

/** True for per-CPU map types: a lookup gives one value per possible CPU. */
export function isPerCpuMap(type: number): boolean {
  return perCpuTypes.has(type);
}

/** True for the map-in-map types, whose slots hold maps. */
export function isMapInMap(type: number): boolean {
  return type === MapType.ARRAY_OF_MAPS || type === MapType.HASH_OF_MAPS;
}

/** Map types created without BTF key/value ids (libbpf zeroes them; the kernel refuses them). */
const withoutBtfIds: ReadonlySet<number> = new Set([
  MapType.PERF_EVENT_ARRAY,
  MapType.CGROUP_ARRAY,
  MapType.STACK_TRACE,
  MapType.ARRAY_OF_MAPS,
  MapType.HASH_OF_MAPS,
  MapType.DEVMAP,
  MapType.DEVMAP_HASH,
  MapType.CPUMAP,
  MapType.XSKMAP,
  MapType.SOCKMAP,
  MapType.SOCKHASH,
  MapType.QUEUE,
  MapType.STACK,
  MapType.ARENA,
  MapType.PROG_ARRAY,
]);

/** True when MAP_CREATE should carry BTF key/value type ids for this map type. */
export function takesBtfIds(type: number): boolean {
  return !withoutBtfIds.has(type);
}
