/**
 * TypeScript from BPF objects, pure and browser-safe: types for the BTF types an object's
 * maps, globals and named types reach, generated codecs that agree with `@bpfkit/btf`'s,
 * and typed skeletons (typed rodata, maps, programs, event readers, and `.bss`/`.data`
 * variables read and written in kernel memory). The helpers generated code calls live here too.
 *
 * {@include ../README.md}
 *
 * @packageDocumentation
 * @module @bpfkit/gen
 */

// Errors
export type { GenErrorCode, GenErrorContext } from './errors.js';
export { GenError } from './errors.js';
// Generate
export type { GenerateSkeletonOptions } from './generate-skeleton.js';
export { generateSkeleton, skeletonClassName } from './generate-skeleton.js';
export type { GenerateTypesOptions } from './generate-types.js';
export { findNamedTypes, generateTypes } from './generate-types.js';
// Runtime of generated code
export { decodeBase64, encodeBase64 } from './runtime/base64.js';
export type { GeneratedCodec } from './runtime/codec.js';
export { codec } from './runtime/codec.js';
export type { DataSpec, LookupMap } from './runtime/global-data.js';
export { frozenCopy, initialData } from './runtime/global-data.js';
export type { ElementReader, ElementWriter, LiveTuple } from './runtime/live-array.js';
export { LiveArray } from './runtime/live-array.js';
export { LiveSection } from './runtime/live-section.js';
export { LiveView } from './runtime/live-view.js';
export type { RawMap } from './runtime/typed-map.js';
export { PerCpuTypedMap, TypedMap } from './runtime/typed-map.js';
export {
  bigint,
  bitsValue,
  float,
  int,
  object,
  readArray,
  readBits,
  readString,
  readWide,
  writeArray,
  writeBits,
  writeString,
  writeWhole,
  writeWide,
} from './runtime/values.js';
