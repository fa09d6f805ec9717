/**
 * Map definitions of a BPF object, resolved and validated with no kernel call: BTF-defined
 * maps with every libbpf attribute, declarative map-in-map and prog-array slots from
 * `.rel.maps`, legacy `maps` definitions, global data and `.kconfig`, pinning, and an
 * ordered creation plan the loader runs.
 *
 * {@include ../README.md}
 *
 * @packageDocumentation
 * @module @bpfkit/maps
 */

export { ARENA_SECTION } from './arena.js';
export type { BtfMapDefinition } from './btf-maps.js';
export { readBtfMaps } from './btf-maps.js';
export { PinType, takesBtfIds } from './constants.js';
export type { MapCreateAttributes } from './create-attributes.js';
export { mapCreateAttributes } from './create-attributes.js';
export type { MapDifference, MapErrorCode, MapErrorContext } from './errors.js';
// Errors
export { MapError } from './errors.js';
export type { ConstantValue } from './global-data.js';
export {
  isGlobalDataSection,
  isReadOnlySection,
  MAX_GLOBAL_DATA_SIZE,
  readGlobalData,
  readKconfig,
  setConstant,
} from './global-data.js';
export type { MapKernelFacts } from './kernel-defaults.js';
export { applyKernelDefaults, ringBufferSize } from './kernel-defaults.js';
export type { RoundedRingBuffer } from './kernel-rules.js';
export { mapKernelRuleProblems, roundedRingBuffers } from './kernel-rules.js';
export { readLegacyMaps } from './legacy-maps.js';
export { internalMapName, KERNEL_NAME_LENGTH, kernelMapName, objectNameFromPath } from './names.js';
export type { ExistingMapInfo } from './pinning.js';
export { assertPinnedMapCompatible, DEFAULT_PIN_ROOT, pinnedMapDifferences, pinPath } from './pinning.js';
export type { CreationPlan, CreationStep } from './plan.js';
// Plan
export { describeStep, planCreation } from './plan.js';
export type { ResolveMapsOptions } from './resolve.js';
// Resolve
export { resolveMaps } from './resolve.js';
export { readSlots } from './slots.js';
export type { KconfigExtern, MapSlot, MapSource, MapSpec } from './spec.js';
export { makeMapSpec } from './spec.js';
export type {
  StructOpsAttach,
  StructOpsDefinition,
  StructOpsLayout,
  StructOpsMemberProgram,
  StructOpsProgram,
} from './struct-ops.js';
// struct_ops
export { layoutStructOps, readStructOpsMaps, structOpsAttachments, structOpsValue } from './struct-ops.js';
// Validate
export { innerMapDifferences, validateMaps } from './validate.js';
