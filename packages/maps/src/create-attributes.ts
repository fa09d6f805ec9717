import { takesBtfIds } from './constants.js';
import type { MapSpec } from './spec.js';

/** The BPF_MAP_CREATE fields a map spec decides (the loader adds fds: BTF, inner map). */
export interface MapCreateAttributes {
  /** Kernel-visible name. */
  readonly name: string;
  /** Map type: a {@link @bpfkit/uapi!MapType} value. */
  readonly type: number;
  /** Key size in bytes. */
  readonly keySize: number;
  /** Value size in bytes. */
  readonly valueSize: number;
  /** Capacity (`max_entries`). */
  readonly maxEntries: number;
  /** `map_flags`. */
  readonly flags: number;
  /** NUMA node (with `BPF_F_NUMA_NODE`). */
  readonly numaNode: number;
  /** `map_extra`. */
  readonly mapExtra: bigint;
  /** BTF key type id, 0 for types the kernel refuses BTF ids for. */
  readonly btfKeyTypeId: number;
  /** BTF value type id, 0 for types the kernel refuses BTF ids for. */
  readonly btfValueTypeId: number;
  /** Kernel BTF value type id of a struct_ops map (the object's BTF must go with it), else 0. */
  readonly btfVmlinuxValueTypeId: number;
}

/**
 * What BPF_MAP_CREATE gets for `spec`, as libbpf sends it: the spec's fields, its kernel
 * name, and its BTF ids only for types that take them ({@link takesBtfIds}).
 */
export function mapCreateAttributes(spec: MapSpec): MapCreateAttributes {
  const btf = takesBtfIds(spec.type);
  return {
    name: spec.kernelName,
    type: spec.type,
    keySize: spec.keySize,
    valueSize: spec.valueSize,
    maxEntries: spec.maxEntries,
    flags: spec.flags,
    numaNode: spec.numaNode,
    mapExtra: spec.mapExtra,
    btfKeyTypeId: btf ? spec.btfKeyTypeId : 0,
    btfValueTypeId: btf ? spec.btfValueTypeId : 0,
    btfVmlinuxValueTypeId: spec.btfVmlinuxValueTypeId,
  };
}
