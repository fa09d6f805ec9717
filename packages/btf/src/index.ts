/**
 * BTF and BTF.ext for BPF tooling, pure and browser-safe: decode every kind in both byte
 * orders (split BTF too), look types up by id, name and kind, compute sizes and alignment,
 * read func/line info and CO-RE records, fix up and sanitise BTF for a kernel, encode it
 * back byte for byte, and print it as C. Kernel BTF lives in `@bpfkit/btf/node`.
 *
 * {@include ../README.md}
 *
 * @packageDocumentation
 * @module @bpfkit/btf
 */

export type { BpftoolJsonType } from './bpftool-json.js';
// bpftool's JSON
export { bpftoolJsonChunks, toBpftoolJson } from './bpftool-json.js';
export type { BtfCodec, BtfValue } from './codec.js';
// Values
export { btfCodec } from './codec.js';
export type { BtfTypeDraft, EncodeBtfOptions } from './encode.js';
// Encode and prepare for the kernel
export { BtfBuilder, BtfStringTable, encodeBtf, reencode } from './encode.js';
export type { BtfErrorCode, BtfErrorContext } from './errors.js';
// Errors
export { BtfError } from './errors.js';
export type { BtfExt, CoreRelo, FuncInfo, LineInfo } from './ext.js';
export { CoreReloKind, parseBtfExt } from './ext.js';
export type { BtfFeatures } from './fixups.js';
export {
  allBtfFeatures,
  type DatasecFixup,
  datasecFixup,
  fixupDatasecs,
  fixupKsyms,
  placeDatasecVariables,
  sanitizeBtf,
} from './fixups.js';
export type { FormatCOptions } from './format-c.js';
// Print as C
export { formatC, formatCBytes, formatCDeclaration } from './format-c.js';
export type { BtfHeader } from './header.js';
export { staticHiddenSubprograms } from './hidden-funcs.js';
export type { BtfKindName } from './kinds.js';
// Types and queries
export { BtfKind, FuncLinkage, IntEncoding, kindNames, VarLinkage } from './kinds.js';
export type { AlignmentCache } from './layout.js';
export { alignOf, MAX_RESOLVE_DEPTH, POINTER_SIZE, resolveType, sizeOf, skipQualifiers } from './layout.js';
export { LineRecords, lineRecordsOf } from './line-records.js';
export { essentialName } from './names.js';
export type { ObjectBtf } from './object.js';
export { readObjectBtf } from './object.js';
export type { KconfigPlacement, ObjectBtfFacts, PreparedObjectBtf } from './prepare.js';
export { prepareObjectBtf } from './prepare.js';
export type { ParseBtfOptions } from './spec.js';
// Parse
export { Btf, parseBtf } from './spec.js';
export { BtfStrings } from './strings.js';
export type {
  BtfArray,
  BtfComposite,
  BtfDatasec,
  BtfDeclTag,
  BtfEnum,
  BtfEnum64,
  BtfEnum64Value,
  BtfEnumValue,
  BtfFloat,
  BtfFunc,
  BtfFuncProto,
  BtfFwd,
  BtfInt,
  BtfMember,
  BtfParam,
  BtfPtr,
  BtfReference,
  BtfType,
  BtfTypeTag,
  BtfVar,
  BtfVarSecinfo,
  BtfVoid,
} from './types.js';
export { encodeUtf8 } from './utf8.js';
export { plainType } from './views.js';
