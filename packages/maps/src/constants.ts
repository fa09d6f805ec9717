import { MapType } from '@bpfkit/uapi';

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
