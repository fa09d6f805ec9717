import { BPF_OBJ_NAME_LEN } from '@bpfkit/uapi';
import type { StructOpsDefinition } from './struct-ops.js';

/** Where a map definition came from. */
export type MapSource = 'btf' | 'legacy' | 'data' | 'kconfig' | 'struct_ops';

/** One initialised slot of a map-in-map or prog array: `.values = { [index] = &target }`. */
export interface MapSlot {
  /** Slot index (the key, as a 4-byte integer). */
  readonly index: number;
  /** Name of the map (map-in-map) or program (prog array) the slot holds. */
  readonly target: string;
  /** What `target` names. */
  readonly targetKind: 'map' | 'program';
}

/** One extern variable of `.kconfig`, placed in the `.kconfig` map. */
export interface KconfigExtern {
  /** Variable name, e.g. `CONFIG_HZ` or `LINUX_KERNEL_VERSION`. */
  readonly name: string;
  /** BTF type id of the variable's type. */
  readonly typeId: number;
  /** Byte offset inside the map value. */
  readonly offset: number;
  /** Size in bytes. */
  readonly size: number;
  /** True for `__weak` externs, which may stay unresolved (zero). */
  readonly weak: boolean;
}

/**
 * A map as the object defines it, before any kernel call: everything MAP_CREATE needs,
 * plus where it came from, its initial contents and its slots. Adjust fields freely
 * before load; {@link validateMaps} re-checks the result.
 */
export interface MapSpec {
  /** Name users look it up by: the variable name, or libbpf's name for global data (`obj.bss`). */
  name: string;
  /** Name given to the kernel (at most 15 characters of `[A-Za-z0-9_.]`). */
  kernelName: string;
  /** Where the definition came from. */
  readonly source: MapSource;
  /** ELF section the definition lives in (`.maps`, `maps`, `.bss`, `.data.custom`…). */
  readonly section: string;
  /** Byte offset of the definition in that section (the variable's symbol value). */
  readonly sectionOffset: number;
  /** `BPF_MAP_TYPE_*`. */
  type: number;
  /** Key size in bytes. */
  keySize: number;
  /** Value size in bytes (4 for map-in-map and prog arrays). */
  valueSize: number;
  /** Maximum number of entries. */
  maxEntries: number;
  /** `BPF_F_*` flags. */
  flags: number;
  /** NUMA node (used by the kernel only with `BPF_F_NUMA_NODE`). */
  numaNode: number;
  /** `map_extra` (e.g. bloom filter hash count). */
  mapExtra: bigint;
  /** `LIBBPF_PIN_*`: 0 none, 1 by name. */
  pinning: number;
  /** BTF type id of the key (`__type(key, …)`), 0 when none. */
  btfKeyTypeId: number;
  /** BTF type id of the value (`__type(value, …)`, or the DATASEC for global data), 0 when none. */
  btfValueTypeId: number;
  /**
   * Kernel BTF type id of a struct_ops map's value (`bpf_struct_ops_<name>`), found at load
   * (`btf_vmlinux_value_type_id`); 0 for other maps.
   */
  btfVmlinuxValueTypeId: number;
  /** The inner map prototype of a map-in-map, from `__array(values, struct …)` or the user. */
  inner: MapSpec | undefined;
  /** Initialised slots of a map-in-map or prog array, by ascending index. */
  slots: MapSlot[];
  /** Initial value of a global-data map (zeros for `.bss`), written before any freeze. */
  initialData: Uint8Array | undefined;
  /** True for `.rodata*` and `.kconfig`: frozen after the initial value is written. */
  readonly freeze: boolean;
  /** `.kconfig` externs and their offsets. */
  readonly externs: readonly KconfigExtern[];
  /** A struct_ops map's struct, data and programs, as the object defines them. */
  readonly structOps: StructOpsDefinition | undefined;
  /**
   * For the object's arena map: the initial bytes of its `__arena` globals (section
   * `.addr_space.1`), written into the arena's memory once it is mapped.
   */
  readonly arenaGlobals: Uint8Array | undefined;
}

/** A complete spec with defaults for everything not given. */
export function makeMapSpec(fields: Partial<MapSpec> & Pick<MapSpec, 'name' | 'source' | 'section'>): MapSpec {
  return {
    kernelName: fields.name.slice(0, BPF_OBJ_NAME_LEN - 1),
    sectionOffset: 0,
    type: 0,
    keySize: 0,
    valueSize: 0,
    maxEntries: 0,
    flags: 0,
    numaNode: 0,
    mapExtra: 0n,
    pinning: 0,
    btfKeyTypeId: 0,
    btfValueTypeId: 0,
    btfVmlinuxValueTypeId: 0,
    inner: undefined,
    slots: [],
    initialData: undefined,
    freeze: false,
    externs: [],
    structOps: undefined,
    arenaGlobals: undefined,
    ...fields,
  };
}
