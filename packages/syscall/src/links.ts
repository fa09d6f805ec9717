import { BpfCommand } from '@bpfkit/uapi';
import { BpfAttr, isLittleEndianHost, nativeBuffer } from './attr.js';
import { getBackend } from './backend.js';
import { bpfCall } from './call.js';
import { BpfSyscallError } from './errors.js';
import { Fd } from './fd.js';
import {
  attrSizes,
  enableStatsAttr,
  iterCreateAttr,
  linkCreateAttr,
  linkDetachAttr,
  linkUpdateAttr,
  progAttachAttr,
  queryAttr,
  rawTracepointAttr,
} from './generated/attr.js';

/** Options for {@link createLink} (BPF_LINK_CREATE). */
export interface LinkCreateOptions {
  /** The program to attach. */
  readonly programFd: number;
  /** Target fd (cgroup, perf event, netns, program) or, for XDP/tcx/netkit, the interface index. */
  readonly target: number;
  /** `BPF_*` attach type. */
  readonly attachType: number;
  /** `link_create.flags` (`BPF_F_*` of the attach kind). */
  readonly flags?: number;
  /** For tracing/LSM programs: the target BTF id. */
  readonly targetBtfId?: number;
  /** For perf-event links: the bpf_cookie. */
  readonly cookie?: bigint;
  /** For iterators: `bpf_iter_link_info` bytes. */
  readonly iterInfo?: Uint8Array;
  /** For tcx/netkit: place relative to this fd or id (with BPF_F_BEFORE/AFTER in flags). */
  readonly relativeFd?: number;
  /** For tcx/netkit: fail unless the attachment revision is this. */
  readonly expectedRevision?: bigint;
  /**
   * Writes the attach type's own fields of the attr's union (from byte 16: kprobe_multi,
   * uprobe_multi, netfilter, the tracing cookie), pointers through {@link BpfAttr.pointer}.
   */
  readonly fill?: (attr: BpfAttr) => void;
}

/** Size of the LINK_CREATE attr bpfkit writes (covers every union member it uses). */
const LINK_CREATE_SIZE = attrSizes.linkCreate;

/**
 * The attr of every BPF_LINK_CREATE, zeroed after each call (so it is zero when the next one
 * writes it, and keeps no buffer alive in between): a USDT attach makes a link per probe, and
 * a fresh native buffer per link cost more than the rest of its JS. Safe because JavaScript
 * runs one call at a time per thread.
 */
const linkCreate = new BpfAttr(LINK_CREATE_SIZE);

/**
 * BPF_LINK_CREATE: attaches a program through a link, which detaches when its last fd closes.
 * @throws {@link BpfSyscallError}.
 */
export function createLink(options: LinkCreateOptions, description = 'link'): Fd {
  const fd = linkCreate.use((attr) =>
    bpfCall(BpfCommand.LINK_CREATE, writeLinkCreate(attr, options), { object: description }),
  );
  return new Fd(fd, description);
}

/** `attr` ({@link linkCreate}) written for `options`. */
function writeLinkCreate(attr: BpfAttr, options: LinkCreateOptions): BpfAttr {
  attr
    .u32(linkCreateAttr.prog_fd, options.programFd)
    .u32(linkCreateAttr.target_fd, options.target)
    .u32(linkCreateAttr.attach_type, options.attachType)
    .u32(linkCreateAttr.flags, options.flags ?? 0);
  if (options.targetBtfId !== undefined) attr.u32(linkCreateAttr.target_btf_id, options.targetBtfId);
  if (options.cookie !== undefined) attr.u64(linkCreateAttr.perf_event.bpf_cookie, options.cookie);
  if (options.iterInfo !== undefined)
    attr.pointer(linkCreateAttr.iter_info, options.iterInfo).u32(linkCreateAttr.iter_info_len, options.iterInfo.length);
  if (options.relativeFd !== undefined) attr.u32(linkCreateAttr.tcx.relative_fd, options.relativeFd);
  if (options.expectedRevision !== undefined) attr.u64(linkCreateAttr.tcx.expected_revision, options.expectedRevision);
  options.fill?.(attr);
  return attr;
}

/** BPF_LINK_UPDATE: swaps the link's program (only if it is `oldProgramFd`, when given). */
export function updateLink(linkFd: number, newProgramFd: number, oldProgramFd?: number): void {
  const attr = new BpfAttr(attrSizes.linkUpdate)
    .u32(linkUpdateAttr.link_fd, linkFd)
    .u32(linkUpdateAttr.new_prog_fd, newProgramFd);
  if (oldProgramFd !== undefined)
    attr.u32(linkUpdateAttr.flags, 1 << 2 /* BPF_F_REPLACE */).u32(linkUpdateAttr.old_prog_fd, oldProgramFd);
  bpfCall(BpfCommand.LINK_UPDATE, attr);
}

/** BPF_LINK_DETACH: detaches the link now, leaving its fd open but defunct. */
export function detachLink(linkFd: number): void {
  bpfCall(BpfCommand.LINK_DETACH, new BpfAttr(attrSizes.linkDetach).u32(linkDetachAttr.link_fd, linkFd));
}

/** BPF_RAW_TRACEPOINT_OPEN: attaches a raw tracepoint (or tp_btf) program; the fd is the attachment. */
export function openRawTracepoint(programFd: number, name: string | undefined, cookie?: bigint): Fd {
  const nameBytes = name === undefined ? undefined : cString(name);
  const attr = new BpfAttr(cookie === undefined ? rawTracepointAttr.cookie : attrSizes.rawTracepoint)
    .pointer(rawTracepointAttr.name, nameBytes)
    .u32(rawTracepointAttr.prog_fd, programFd);
  if (cookie !== undefined) attr.u64(rawTracepointAttr.cookie, cookie);
  return new Fd(
    bpfCall(BpfCommand.RAW_TRACEPOINT_OPEN, attr, { object: name ?? 'raw tracepoint' }),
    `raw_tp '${name ?? ''}'`,
  );
}

/** BPF_PROG_ATTACH: the older attach for cgroups, sockmaps, flow dissector, lirc. */
export function attachProgram(options: {
  targetFd: number;
  programFd: number;
  attachType: number;
  flags?: number;
  replaceProgramFd?: number;
}): void {
  const attr = new BpfAttr(attrSizes.progAttach)
    .u32(progAttachAttr.target_fd, options.targetFd)
    .u32(progAttachAttr.attach_bpf_fd, options.programFd)
    .u32(progAttachAttr.attach_type, options.attachType)
    .u32(progAttachAttr.attach_flags, options.flags ?? 0)
    .u32(progAttachAttr.replace_bpf_fd, options.replaceProgramFd ?? 0);
  bpfCall(BpfCommand.PROG_ATTACH, attr);
}

/** BPF_PROG_DETACH. */
export function detachProgram(targetFd: number, programFd: number, attachType: number): void {
  bpfCall(
    BpfCommand.PROG_DETACH,
    new BpfAttr(attrSizes.progAttach)
      .u32(progAttachAttr.target_fd, targetFd)
      .u32(progAttachAttr.attach_bpf_fd, programFd)
      .u32(progAttachAttr.attach_type, attachType),
  );
}

/** What BPF_PROG_QUERY reports about one attach point. */
export interface ProgramQuery {
  /** Ids of the attached programs, in run order. */
  readonly ids: number[];
  /** `BPF_F_*` attach flags of the attach point. */
  readonly flags: number;
  /** Bumped on every change at multi-program attach points (tcx, cgroups); 0 where the kernel keeps none. */
  readonly revision: bigint;
}

/** BPF_PROG_QUERY: ids of the programs attached at `targetFd` for `attachType`. */
export function queryPrograms(targetFd: number, attachType: number, capacity = 64): ProgramQuery {
  const ids = nativeBuffer(capacity * 4);
  const attr = new BpfAttr(attrSizes.query)
    .u32(queryAttr.target_fd, targetFd)
    .u32(queryAttr.attach_type, attachType)
    .pointer(queryAttr.prog_ids, ids)
    .u32(queryAttr.count, capacity);
  bpfCall(BpfCommand.PROG_QUERY, attr);
  const count = attr.readU32(queryAttr.count);
  const view = new DataView(ids.buffer);
  return {
    ids: Array.from({ length: Math.min(count, capacity) }, (_, i) => view.getUint32(i * 4, isLittleEndianHost)),
    flags: attr.readU32(queryAttr.attach_flags),
    revision: attr.readU64(queryAttr.revision),
  };
}

/** BPF_ITER_CREATE: an fd whose reads run the iterator program behind `linkFd`. */
export function createIterator(linkFd: number): Fd {
  return new Fd(
    bpfCall(BpfCommand.ITER_CREATE, new BpfAttr(attrSizes.iterCreate).u32(iterCreateAttr.link_fd, linkFd)),
    'iterator',
  );
}

/** Reads everything an iterator fd produces (until read returns 0). */
export function readIterator(iteratorFd: number, chunk = 4096): Uint8Array {
  const parts: Uint8Array[] = [];
  const buffer = nativeBuffer(chunk);
  for (;;) {
    const n = getBackend().read(iteratorFd, buffer);
    if (n < 0) throw new BpfSyscallError('read', -n, { object: 'iterator' });
    if (n === 0) break;
    parts.push(buffer.slice(0, n));
  }
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** `BPF_STATS_RUN_TIME`: run time and count statistics for every program. */
export const StatsType = {
  /** `BPF_STATS_RUN_TIME`: count run time and run count of every program */
  RUN_TIME: 0,
} as const;

/** BPF_ENABLE_STATS: statistics stay on while the returned fd is open. */
export function enableStats(type: number = StatsType.RUN_TIME): Fd {
  return new Fd(
    bpfCall(BpfCommand.ENABLE_STATS, new BpfAttr(attrSizes.enableStats).u32(enableStatsAttr.type, type)),
    'stats',
  );
}

function cString(text: string): Uint8Array {
  const encoded = new TextEncoder().encode(text);
  const bytes = nativeBuffer(encoded.length + 1);
  bytes.set(encoded);
  return bytes;
}

/** `SOL_SOCKET` options for socket filters. */
const SOL_SOCKET = 1;
const SO_ATTACH_BPF = 50;
const SO_DETACH_BPF = 27;

/** Attaches a socket-filter program to socket `socketFd` (setsockopt SO_ATTACH_BPF). */
export function attachSocketFilter(socketFd: number, programFd: number): void {
  const result = getBackend().setsockoptInt(socketFd, SOL_SOCKET, SO_ATTACH_BPF, programFd);
  if (result < 0) throw new BpfSyscallError('setsockopt(SO_ATTACH_BPF)', -result, { object: `socket fd ${socketFd}` });
}

/** Detaches the socket filter from socket `socketFd` (setsockopt SO_DETACH_BPF). */
export function detachSocketFilter(socketFd: number): void {
  const result = getBackend().setsockoptInt(socketFd, SOL_SOCKET, SO_DETACH_BPF, 0);
  if (result < 0) throw new BpfSyscallError('setsockopt(SO_DETACH_BPF)', -result, { object: `socket fd ${socketFd}` });
}
