/**
 * bpf(2) from Node.js through an FFI (koffi), knowing nothing of ELF or BTF files: typed
 * commands with `union bpf_attr` written at the UAPI offsets, errors with errno names and
 * hints, verifier logs, and file descriptors that close themselves. The FFI loads on the
 * first kernel call.
 *
 * @packageDocumentation
 * @module @bpfkit/syscall
 */

export { BpfAttr, isLittleEndianHost, nativeBuffer } from './attr.js';
export type { BpfBackend } from './backend.js';
// The FFI
export { backend, setBackend } from './backend.js';
export { loadBtf } from './btf.js';
export { BpfCommand, commandName } from './commands.js';
export { Errno, errnoHint, errnoName } from './errno.js';
export type { BpfSyscallErrorCode, BpfSyscallErrorContext } from './errors.js';
// Errors
export { BpfSyscallError } from './errors.js';
export type { LeakReporter } from './fd.js';
export { Fd, onLeak } from './fd.js';
export type { BatchLookup, MapCreateOptions } from './maps.js';
// Maps
export {
  createMap,
  mapDelete,
  mapDeleteBatch,
  mapFreeze,
  mapLookup,
  mapLookupAndDelete,
  mapLookupBatch,
  mapNextKey,
  mapUpdate,
  mapUpdateBatch,
  UpdateFlag,
} from './maps.js';
export type { MapInfo, ObjectKind, ProgramInfo } from './objects.js';
// Objects
export { getPinnedObject, mapInfo, ObjectFlag, objectFdById, objectIds, pinObject, programInfo } from './objects.js';
export type { LoadedProgram, ProgramLoadOptions, TestRunOptions, TestRunResult } from './programs.js';
// Programs and BTF
export { bindMap, loadProgram, testRun } from './programs.js';
export { failingInstruction, logLines, MAX_LOG_SIZE } from './verifier-log.js';
