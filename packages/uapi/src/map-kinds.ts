import { MapType } from './generated/enums.js';

/**
 * Map types whose elements hold one value per possible CPU (the kernel's `bpf_map_value_size`
 * rounds each up to 8 bytes and repeats it for every possible CPU).
 */
const perCpuMapTypes: ReadonlySet<number> = new Set([
  MapType.PERCPU_HASH,
  MapType.PERCPU_ARRAY,
  MapType.LRU_PERCPU_HASH,
  MapType.PERCPU_CGROUP_STORAGE,
]);

/** True when maps of `type` hold one value per possible CPU for each key. @see BPF_MAP_TYPE_PERCPU_ARRAY */
export function isPerCpuMapType(type: number): boolean {
  return perCpuMapTypes.has(type);
}

/** True for the map-in-map types, whose slots hold maps. @see BPF_MAP_TYPE_ARRAY_OF_MAPS */
export function isMapInMapType(type: number): boolean {
  return type === MapType.ARRAY_OF_MAPS || type === MapType.HASH_OF_MAPS;
}
