/**
 * Attaching BPF programs from Node.js, one function per attach kind, each needing only a
 * program fd: kprobes and ksyscalls (kprobe PMU, else tracefs `kprobe_events`), uprobes
 * with ELF symbol resolution, tracepoints, raw tracepoints, BTF-typed tracing programs,
 * iterators, perf events, XDP, tcx, cgroups and socket filters. Each returns a
 * {@link Link} that detaches on close and can be inspected, updated and pinned.
 *
 * {@include ../README.md}
 *
 * @packageDocumentation
 * @module @bpfkit/link
 */

export { resolveBinaryPath, searchDirectories } from './binary-path.js';
export type { CgroupOptions } from './cgroup.js';
export { attachCgroup, CgroupAttachFlag } from './cgroup.js';
export type { LinkErrorCode, LinkErrorContext } from './errors.js';
export { LinkError } from './errors.js';
export type { FlowDissectorOptions } from './flow-dissector.js';
export { attachFlowDissector } from './flow-dissector.js';
export { globMatcher } from './glob.js';
export type { IteratorParameter } from './iter.js';
export { attachIterator, CgroupIterOrder } from './iter.js';
export type { SymbolAt } from './kernel-symbols.js';
export { KALLSYMS_PATH, KernelSymbols } from './kernel-symbols.js';
export type { KprobeOptions } from './kprobe.js';
export { attachKprobe } from './kprobe.js';
export type { KprobeMultiOptions } from './kprobe-multi.js';
export { attachKprobeMulti, traceableFunctions } from './kprobe-multi.js';
export type { KsyscallOptions } from './ksyscall.js';
export { attachKsyscall, syscallFunction } from './ksyscall.js';
export type { Release } from './link.js';
export { Link, openPinnedLink } from './link.js';
export { interfaceIndex } from './netdev.js';
export type { NetfilterOptions } from './netfilter.js';
export { attachNetfilter, NetfilterFamily, NetfilterHook } from './netfilter.js';
export { attachNetkit, NetkitSide } from './netkit.js';
export type { PerfEventLinkOptions } from './perf-event.js';
export { attachPerfEvent } from './perf-event.js';
export type { CpuEventSpec, PerfEventPerCpuOptions } from './perf-event-cpus.js';
export {
  attachPerfEventPerCpu,
  openPerfEventPerCpu,
  PerfHardwareEvent,
  PerfSoftwareEvent,
} from './perf-event-cpus.js';
export type { ProbedBinary, ProbedFunction } from './probed-binary.js';
export { clearBinaryCache } from './probed-binary.js';
export { ProcessSymbols } from './process-symbols.js';
export type { RawTracepointOptions } from './raw-tracepoint.js';
export { attachRawTracepoint } from './raw-tracepoint.js';
export { attachSkLookup } from './sk-lookup.js';
export { attachSocketFilter } from './socket-filter.js';
export type { SockmapOptions } from './sockmap.js';
export { attachSockmap, SockmapAttachType } from './sockmap.js';
export { attachStructOps, updateStructOps } from './struct-ops.js';
export type { TcFilter, TcFilterPlace, TcOptions } from './tc.js';
export { attachTc, detachTc, queryTc, TcLink } from './tc.js';
export type { TcDirection } from './tc-hook.js';
export { createTcHook, destroyTcHook } from './tc-hook.js';
export type { TcxOptions } from './tcx.js';
export { attachTcx, TcxDirection } from './tcx.js';
export { mountTracefs, TRACEFS_DEFAULT, tracefsRoot } from './tracefs.js';
export { attachTracepoint } from './tracepoint.js';
export type { TracingOptions } from './tracing.js';
export { attachTracing } from './tracing.js';
export type { UprobeOptions } from './uprobe.js';
export { attachUprobe } from './uprobe.js';
export type { UprobeMultiOptions } from './uprobe-multi.js';
export { attachUprobeMulti } from './uprobe-multi.js';
export type { UsdtOptions } from './usdt.js';
export { attachUsdt } from './usdt.js';
export type { UsdtArgSpec } from './usdt-args.js';
export { encodeUsdtSpec, parseUsdtArgs, USDT_MAX_ARGS, USDT_SPEC_SIZE, UsdtArgType } from './usdt-args.js';
export type { UsdtMaps } from './usdt-spec-maps.js';
export { openUsdtMaps, UsdtSpecMaps } from './usdt-spec-maps.js';
export {
  addressFileOffset,
  binaryElf,
  functionFileOffset,
  matchingFunctions,
  openProbedBinary,
} from './user-symbols.js';
export type { XdpOptions } from './xdp.js';
export { attachXdp, XdpMode } from './xdp.js';
export type { XdpDetachOptions, XdpNetlinkOptions, XdpQuery } from './xdp-netlink.js';
export { attachXdpNetlink, detachXdpNetlink, queryXdp, XdpAttached } from './xdp-netlink.js';
