/**
 * Programs of a BPF object and how to relocate them, pure and browser-safe: entry points
 * and their program types from libbpf's section names, subprograms appended and calls
 * fixed, map and global-data references located, func and line info moved along, and the
 * BPF instruction set to decode and encode.
 *
 * {@include ../README.md}
 *
 * @packageDocumentation
 * @module @bpfkit/reloc
 */

export type { AttachBtf, AttachBtfName, AttachBtfSource } from './attach-btf.js';
export {
  attachBtfName,
  attachProgramFd,
  needsAttachBtf,
  resolveAttachBtf,
  resolveAttachProgramBtf,
} from './attach-btf.js';
export type { AttachTarget } from './attach-target.js';
export { attachesBySection, attachTarget } from './attach-target.js';
export { mapsBoundToPrograms } from './bound-maps.js';
export type { Candidate, CoreTargets } from './core/candidates.js';
export { findCandidates } from './core/candidates.js';
export type { CoreFixup } from './core/fixup.js';
export { CORE_POISON, poisons } from './core/fixup.js';
export { coreKindNames } from './core/kinds.js';
export type { CoreOptions, RelocatedProgram } from './core/relocate.js';
export { describeCoreFixup, relocateCore } from './core/relocate.js';
export type { CoreResolution } from './core/resolve.js';
export { CoreResolver } from './core/resolve.js';
export type { RelocErrorCode, RelocErrorContext } from './errors.js';
// Errors
export { RelocError } from './errors.js';
export type { EncodedRecords, MissingExtInfo, ProgramFuncInfo, ProgramLineInfo } from './ext-info.js';
export {
  encodeFuncInfo,
  encodeLineInfo,
  funcInfoOf,
  lineInfoOf,
  requireExtInfo,
  sourceLineAt,
} from './ext-info.js';
export { checkExternDeclarations, externDeclarationProblems } from './extern-declarations.js';
export type { Register } from './insn/builder.js';
export { ProgramBuilder } from './insn/builder.js';
export type { Labeler } from './insn/disasm.js';
export { disassemble, formatInstruction } from './insn/disasm.js';
export type { Instruction } from './insn/instruction.js';
// Instructions
export { decodeInstructions, encodeInstructions, INSN_SIZE } from './insn/instruction.js';
export {
  AluOp,
  CALL,
  EXIT,
  InsnClass,
  InsnMode,
  InsnSize,
  InsnSource,
  JmpOp,
  LD_IMM64,
  PseudoSource,
} from './insn/opcodes.js';
export type { KernelFacts } from './kconfig.js';
// Externs
export { fillKconfig, parseKernelConfig } from './kconfig.js';
export type { KernelRelease } from './kernel-version.js';
export { kernelVersionCode, linuxVersionCode } from './kernel-version.js';
export type { KsymDecision, KsymSource, ModuleBtfHandle } from './ksyms.js';
export { resolveKsyms } from './ksyms.js';
export type { LinkedPiece, LinkedProgram } from './link.js';
export type { LoadAttachFeatures } from './load-attach-type.js';
export { loadAttachType } from './load-attach-type.js';
export { moduleName } from './module-name.js';
export type { PlanOptions, ProgramPlan } from './plan.js';
// Plan
export { describePlan, planPrograms, requireKind } from './plan.js';
export { hasCoreRelocations, hasKsymReferences, linkPlan, programCode } from './plan-code.js';
export type { CodePiece, ProgramCode } from './program-code.js';
export type {
  AtInstruction,
  CoreRecord,
  CoreRelocation,
  KsymReference,
  MapReference,
  ProgramInstruction,
  SourceLine,
} from './program-instruction.js';
// Instruction metadata
export {
  coreRelocationsOf,
  isKsymReference,
  isMapReference,
  ksymReferencesOf,
  mapReferencesOf,
} from './program-instruction.js';
export { kernelProgramName } from './program-name.js';
export { ProgramFlag } from './program-types.js';
export type { CodeFunction, CodeSection } from './programs.js';
export { entryPoints, isCodeSection, readCodeSections } from './programs.js';
export type { SectionKind } from './section-names.js';
export { classifySection, knownSectionPatterns } from './section-names.js';
export { hasSyscallWrapper, syscallWrapperSymbol } from './syscall-wrapper.js';
export type { VerifierFailureSource } from './verifier-source.js';
export { formatSourceLine, locateVerifierFailure } from './verifier-source.js';
export type {
  InstructionPatch,
  InstructionWrites,
  MapReferenceMode,
  WrittenInstructions,
  WrittenProgram,
} from './write-instructions.js';
export { writeInstructions, writeProgram, writeProgramCode } from './write-instructions.js';
