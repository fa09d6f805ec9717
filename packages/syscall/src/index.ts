/**
 * bpf(2) from Node.js through an FFI (koffi by default, ffi-napi on request), knowing
 * nothing of ELF or BTF files: typed commands with `union bpf_attr` written at the UAPI
 * offsets, links and perf events, feature probes, errors with errno names and hints,
 * verifier logs, and file descriptors that close themselves. The FFI loads on the first
 * kernel call.
 *
 * {@include ../README.md}
 *
 * @packageDocumentation
 * @module @bpfkit/syscall
 */

export { BpfAttr, isLittleEndianHost, nativeBuffer } from './attr.js';
export type { BackendName, BpfBackend, Mapping } from './backend.js';
// The FFI
export { getBackend, setBackend } from './backend.js';
export type { BackgroundBatch } from './background-batch.js';
export { backgroundBatchesInFlight, backgroundBatchesSettled, startMapUpdateBatch } from './background-batch.js';
export { loadBtf } from './btf.js';
export { PROG_LOAD_ATTEMPTS } from './call.js';
export { countCpuList, ONLINE_CPUS_PATH, onlineCpus, POSSIBLE_CPUS_PATH, parseCpuList, possibleCpus } from './cpus.js';
// Event channels: epoll, eventfd, fd memory
export {
  drainEventFd,
  EpollEvent,
  EpollOp,
  EpollReadyList,
  epollControl,
  epollCreate,
  epollWaitNow,
  openEventFd,
  signalEventFd,
  startEpollWait,
  watchOnEventLoop,
} from './epoll.js';
export { Errno, errnoHint, errnoName, type FailureFacts } from './errno.js';
export type { BpfSyscallErrorCode, BpfSyscallErrorContext } from './errors.js';
// Errors
export { BpfSyscallError } from './errors.js';
export { type FailureSubject, failureFacts } from './failure-facts.js';
export type { LeakReporter } from './fd.js';
export { duplicateFd, Fd, onLeak } from './fd.js';
// Feature probes
export {
  attachCookieSupported,
  batchSupported,
  batchUpdateSupported,
  btfFeatures,
  btfKindSupported,
  clearFeatureCache,
  helperSupported,
  linkAttachTypeSupported,
  mapTypeSupported,
  mmapableArraysSupported,
  programTypeSupported,
  uprobeMultiLinkSupported,
} from './features.js';
export { type FileStat, statFile } from './file-stat.js';
export { mapFileReadOnly } from './files.js';
export { linkCreateAttr } from './generated/attr.js';
export type { LinkCreateOptions, ProgramQuery } from './links.js';
// Links and attachment
export {
  attachProgram,
  attachSocketFilter,
  createIterator,
  createLink,
  detachLink,
  detachProgram,
  detachSocketFilter,
  enableStats,
  openRawTracepoint,
  queryPrograms,
  readIterator,
  StatsType,
  updateLink,
} from './links.js';
export type { LoopWatch } from './loop-watch.js';
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
  mapMemory,
  mapNextKey,
  mapUpdate,
  mapUpdateBatch,
  UpdateFlag,
} from './maps.js';
export type { FdMemoryOptions } from './memory.js';
export { mapFdMemory, pageSize } from './memory.js';
// Netlink sockets (rtnetlink attachments: XDP and tc on kernels without links)
export { NetlinkProtocol, openNetlinkSocket, receiveNetlink, sendNetlink } from './netlink-socket.js';
export type { BtfInfo, LinkInfo, MapInfo, ObjectKind, ProgramInfo } from './objects.js';
// Objects
export {
  btfData,
  btfInfo,
  getPinnedObject,
  linkInfo,
  mapInfo,
  ObjectFlag,
  objectFdById,
  objectIds,
  pinObject,
  programInfo,
} from './objects.js';
export type { PerfEventOptions } from './perf.js';
export {
  openPerfEvent,
  PERF_COUNT_SW_BPF_OUTPUT,
  PERF_SAMPLE_RAW,
  PerfIoctl,
  PerfType,
  perfIoctl,
  probePmu,
  tracepointId,
} from './perf.js';
// Pinning: checked pin directories
export { openPinned, PinDirectory, type PinOptions, pinAt } from './pin-directory.js';
export type { LoadedProgram, ProgramLoadOptions, TestRunOptions, TestRunResult } from './programs.js';
// Programs and BTF
export { bindMap, loadProgram, loadProgramInBackground, testRun } from './programs.js';
export { type SlotBatchOutcome, writeSlotsInBackground } from './slot-batch.js';
export { closeDescriptorsOfEndedThreads, shareDescriptorTable } from './thread-descriptors.js';
export type { MapLayout } from './value-layout.js';
// Map layouts: the sizes of every buffer the element commands pass
export {
  joinPerCpu,
  keyBufferSize,
  mapLayout,
  perCpuStride,
  splitPerCpu,
  valueBufferSize,
} from './value-layout.js';
export { failingInstruction, logLines, MAX_LOG_SIZE } from './verifier-log.js';
