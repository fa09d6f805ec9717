import { MapType } from '@bpfkit/uapi';

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
