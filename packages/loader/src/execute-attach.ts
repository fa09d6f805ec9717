import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { openElfFileSync } from '@bpfkit/elf/node';
import { type AttachTarget, attachTarget, type ProgramPlan } from '@bpfkit/reloc';
import {
  attachSocketFilter,
  BpfSyscallError,
  createLink,
  detachSocketFilter,
  type Fd,
  openPerfEvent,
  openRawTracepoint,
  PerfType,
  probePmu,
  tracepointId,
} from '@bpfkit/syscall';
import { LoadError } from './errors.js';
import { BpfLink } from './link.js';

/** Where and how to attach, beyond what the section name says. */
export interface AttachOptions {
  /** Replaces the attach target of the section name (`sys_enter`, `syscalls/sys_enter_kill`, `/bin/bash:readline`). */
  readonly target?: string;
  /** Network interface for XDP and tcx: a name or an ifindex. */
  readonly interface?: string | number;
  /** cgroup (v2) directory for cgroup programs. */
  readonly cgroup?: string;
  /** Socket fd for socket filters. */
  readonly socket?: number;
  /** Process to probe for uprobes (-1, the default: every process). */
  readonly pid?: number;
}

const ATTACH_PERF_EVENT = 41;
const ATTACH_TRACE_ITER = 28;

function ifindexOf(value: string | number): number {
  if (typeof value === 'number') return value;
  const path = `/sys/class/net/${value}/ifindex`;
  if (!existsSync(path)) throw new Error(`no network interface '${value}'`);
  return Number(readFileSync(path, 'utf8').trim());
}

/** Mounts tracefs when it is missing (needs root), so tracepoint ids can be read. */
function ensureTracefs(): void {
  if (existsSync('/sys/kernel/tracing/events') || existsSync('/sys/kernel/debug/tracing/events')) return;
  // Loaded here, not imported: `node:child_process` costs a fresh process milliseconds to load.
  const { execFileSync } = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
  execFileSync('mount', ['-t', 'tracefs', 'tracefs', '/sys/kernel/tracing']);
}

/** The file offset of `name` in the ELF at `path` (symbol table, else dynamic symbols). */
function functionOffset(path: string, name: string): number {
  const elf = openElfFileSync(path);
  const symbol = [...elf.symbols, ...elf.dynamicSymbols].find(
    (s) => s.name === name && s.type === 2 && s.sectionIndex !== 0,
  );
  if (symbol === undefined) throw new Error(`no function '${name}' in '${path}'`);
  return elf.fileOffsetOf(symbol);
}

function pathBytes(path: string): Uint8Array {
  const encoded = new TextEncoder().encode(path);
  const bytes = new Uint8Array(new ArrayBuffer(encoded.length + 1));
  bytes.set(encoded);
  return bytes;
}

/**
 * Attaches a loaded program the way its section name says, with `options` for what the
 * name cannot say (interface, cgroup, socket).
 * @throws {@link LoadError} (step `use`) naming the program, the target and what to do.
 */
export function attachProgram(plan: ProgramPlan, programFd: number, options: AttachOptions, object: string): BpfLink {
  const target = attachTarget(plan, options.target);
  const fail = (problem: string, cause?: unknown): never => {
    throw new LoadError(
      'use',
      `cannot attach: ${problem}`,
      { object, program: plan.name },
      cause === undefined ? {} : { cause },
    );
  };
  try {
    return attachTo(target, plan, programFd, options, fail);
  } catch (error) {
    if (LoadError.is(error)) throw error;
    return fail(error instanceof Error ? error.message : String(error), error);
  }
}

function attachTo(
  target: AttachTarget,
  plan: ProgramPlan,
  programFd: number,
  options: AttachOptions,
  fail: (problem: string) => never,
): BpfLink {
  switch (target.kind) {
    case 'raw-tracepoint':
      return new BpfLink(target.kind, openRawTracepoint(programFd, target.name));
    case 'tracepoint': {
      ensureTracefs();
      const event = openPerfEvent(
        { type: PerfType.TRACEPOINT, config: tracepointId(target.category, target.name), pid: -1, cpu: 0 },
        `tracepoint ${target.category}/${target.name}`,
      );
      return perfLink(target.kind, programFd, event);
    }
    case 'uprobe': {
      const { type, retprobeBit } = probePmu('uprobe');
      const offset = functionOffset(target.path, target.function) + target.offset;
      const event = openPerfEvent(
        {
          type,
          config: target.retprobe ? 1n << BigInt(retprobeBit) : 0n,
          config1: pathBytes(target.path),
          config2: BigInt(offset),
          pid: options.pid ?? -1,
          cpu: options.pid === undefined || options.pid < 0 ? 0 : -1,
        },
        `uprobe ${target.path}:${target.function}`,
      );
      return perfLink(target.kind, programFd, event);
    }
    case 'kprobe': {
      if (!existsSync('/sys/bus/event_source/devices/kprobe')) {
        return fail('this kernel has no kprobe PMU (kprobes are compiled out); use a tracepoint or raw_tp instead');
      }
      const { type, retprobeBit } = probePmu('kprobe');
      const event = openPerfEvent(
        {
          type,
          config: target.retprobe ? 1n << BigInt(retprobeBit) : 0n,
          config1: pathBytes(target.function),
          config2: BigInt(target.offset),
          pid: -1,
          cpu: 0,
        },
        `kprobe ${target.function}`,
      );
      return perfLink(target.kind, programFd, event);
    }
    case 'netdev': {
      if (options.interface === undefined)
        return fail(`'${plan.section}' needs an interface: attach({ interface: 'eth0' })`);
      return new BpfLink(
        target.kind,
        createLink({ programFd, target: ifindexOf(options.interface), attachType: target.attachType }),
      );
    }
    case 'cgroup': {
      if (options.cgroup === undefined)
        return fail(`'${plan.section}' needs a cgroup: attach({ cgroup: '/sys/fs/cgroup/…' })`);
      const cgroup = openSync(options.cgroup, 'r');
      try {
        return new BpfLink(target.kind, createLink({ programFd, target: cgroup, attachType: target.attachType }));
      } finally {
        closeSync(cgroup);
      }
    }
    case 'iterator':
      return new BpfLink(target.kind, createLink({ programFd, target: 0, attachType: ATTACH_TRACE_ITER }));
    case 'socket': {
      const socket = options.socket;
      if (socket === undefined) return fail('socket filters need a socket: attach({ socket: fd })');
      attachSocketFilter(socket, programFd);
      return new BpfLink(target.kind, undefined, () => {
        try {
          detachSocketFilter(socket);
        } catch (error) {
          // A socket that is already closed has no filter left to detach.
          if (!BpfSyscallError.is(error) || error.errnoName !== 'EBADF') throw error;
        }
      });
    }
    case 'unsupported':
      return fail(target.reason);
  }
}

/** A bpf link over a perf event (tracepoint, uprobe, kprobe); closing it closes both. */
function perfLink(kind: string, programFd: number, event: Fd): BpfLink {
  try {
    return new BpfLink(kind, createLink({ programFd, target: event.fd, attachType: ATTACH_PERF_EVENT }), undefined, [
      event,
    ]);
  } catch (error) {
    event.close();
    throw error;
  }
}
