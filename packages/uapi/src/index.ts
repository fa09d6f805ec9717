/**
 * The kernel's BPF UAPI facts every bpfkit package shares, in one place: the map, program and
 * attach type enums, the bpf(2) commands and the map flags (generated from the kernel's BTF by
 * `scripts/gen-uapi.ts`), their names, `BPF_OBJ_NAME_LEN`, and which map types are per-CPU or
 * hold maps. It depends on nothing and uses no Node API, so it runs in a browser too.
 *
 * {@include ../README.md}
 *
 * @packageDocumentation
 * @module @bpfkit/uapi
 */

export {
  AttachType,
  type AttachTypeValue,
  BpfCommand,
  type BpfCommandValue,
  MapFlag,
  type MapFlagValue,
  MapType,
  type MapTypeValue,
  ProgramType,
  type ProgramTypeValue,
} from './generated/enums.js';
export { BPF_OBJ_NAME_LEN } from './generated/limits.js';
export { isMapInMapType, isPerCpuMapType } from './map-kinds.js';
export { attachTypeName, commandName, mapTypeName, programTypeName } from './type-names.js';
