/**
 * The bpfkit facade: open a BPF object (no kernel call), adjust its maps and programs,
 * load it (BTF, maps with declarative map-in-map and prog-array slots, programs), use its
 * maps and programs, close it. Every failure closes what the load opened.
 *
 * {@include ../README.md}
 *
 * @packageDocumentation
 * @module @bpfkit/loader
 */

// The link type attach() returns, and its error (attaching is @bpfkit/link's work).
export { Link as BpfLink, LinkError } from '@bpfkit/link';
export type { PinOptions } from '@bpfkit/syscall';
export type { LoadErrorContext, LoadStep } from './errors.js';
export { LoadError } from './errors.js';
export type { AttachOptions } from './execute-attach.js';
export { BpfMap, BpfProgram } from './handles.js';
export { runningKernelBtf, runningModuleBtfs } from './kernel-btf.js';
export type { LoadLogger } from './log.js';
export type { EventChannelOptions, OpenOptions, PerfChannelOptions } from './object.js';
export { BpfObject } from './object.js';
export { ResourceScope } from './scope.js';
