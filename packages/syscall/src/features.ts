import { BpfCommand, isMapInMapType, MapFlag, MapType } from '@bpfkit/uapi';
import { BpfAttr, nativeBuffer } from './attr.js';
import { getBackend } from './backend.js';
import { bpfTry } from './call.js';
import { Errno } from './errno.js';
import { BpfSyscallError } from './errors.js';
import {
  attrSizes,
  batchAttr,
  btfLoadAttr,
  linkCreateAttr,
  mapCreateAttr as mapCreate,
  progLoadAttr,
} from './generated/attr.js';
import { mapLookupBatch } from './maps.js';

/** One probe's answer, cached for the life of the process. */
const cache = new Map<string, boolean>();

function cached(key: string, probe: () => boolean): boolean {
  let answer = cache.get(key);
  if (answer === undefined) {
    answer = probe();
    cache.set(key, answer);
  }
  return answer;
}

/** Forgets every cached probe result (for tests). */
export function clearFeatureCache(): void {
  cache.clear();
}

/** Runs one command and closes the fd it returns; true when it succeeded. */
function creates(command: number, attr: BpfAttr): boolean {
  const result = bpfTry(command, attr);
  if (result >= 0) {
    getBackend().close(result);
    return true;
  }
  return false;
}

function mapCreateAttr(
  type: number,
  keySize: number,
  valueSize: number,
  maxEntries: number,
  flags = 0,
  innerFd = 0,
): BpfAttr {
  return new BpfAttr(attrSizes.mapCreate)
    .u32(mapCreate.map_type, type)
    .u32(mapCreate.key_size, keySize)
    .u32(mapCreate.value_size, valueSize)
    .u32(mapCreate.max_entries, maxEntries)
    .u32(mapCreate.map_flags, flags)
    .u32(mapCreate.inner_map_fd, innerFd);
}

/** Map parameters each type accepts, for probing (key, value, entries, flags). */
function probeShape(type: number): [number, number, number, number] {
  switch (type) {
    case 11: // LPM_TRIE
      return [8, 4, 1, 1];
    case 22: // QUEUE
    case 23: // STACK
    case 27: // RINGBUF
    case 31: // USER_RINGBUF
      return type === 27 || type === 31 ? [0, 0, 4096, 0] : [0, 4, 1, 0];
    case 7: // STACK_TRACE: values are arrays of 8-byte addresses
      return [4, 8, 1, 0];
    case 19: // CGROUP_STORAGE
    case 21:
      return [16, 8, 0, 0];
    case 30: // BLOOM_FILTER
      return [0, 4, 1, 0];
    case 33: // ARENA
      return [0, 0, 1, 1 << 10];
    case 15: // SOCKMAP
    case 18: // SOCKHASH
    case 17: // XSKMAP
    case 14: // DEVMAP
    case 25: // DEVMAP_HASH
    case 16: // CPUMAP
      return [4, 4, 1, 0];
    default:
      return [4, 4, 1, 0];
  }
}

/** Local-storage map types: created only with BTF for key (int) and value. */
const storageTypes = new Set([24, 28, 29, 32]);

/**
 * True when the kernel can create maps of `type` (BPF_MAP_TYPE_*). Map-in-map types are
 * probed with an array prototype, local storage with a small BTF, and STRUCT_OPS by its
 * errno (a kernel that knows the type refuses a bogus value type with ENOTSUPP, not EINVAL).
 */
export function mapTypeSupported(type: number): boolean {
  return cached(`map:${type}`, () => {
    if (type === 26) {
      const result = bpfTry(
        BpfCommand.MAP_CREATE,
        mapCreateAttr(26, 4, 4, 1).u32(mapCreate.btf_vmlinux_value_type_id, 1),
      );
      if (result >= 0) getBackend().close(result);
      return result !== -Errno.EINVAL;
    }
    if (storageTypes.has(type)) {
      const btf = loadProbeBtf(4);
      if (btf < 0) return false;
      try {
        return creates(
          BpfCommand.MAP_CREATE,
          mapCreateAttr(type, 4, 4, 0, 1)
            .u32(mapCreate.btf_fd, btf)
            .u32(mapCreate.btf_key_type_id, 1)
            .u32(mapCreate.btf_value_type_id, 2),
        );
      } finally {
        getBackend().close(btf);
      }
    }
    const fd = createProbeMap(type);
    if (fd >= 0) getBackend().close(fd);
    return fd >= 0;
  });
}

/** A small map of `type` for probing (map-in-map types get an inner array): its fd, or `-errno`. */
function createProbeMap(type: number): number {
  if (isMapInMapType(type)) {
    const inner = bpfTry(BpfCommand.MAP_CREATE, mapCreateAttr(MapType.ARRAY, 4, 4, 1));
    if (inner < 0) return inner;
    try {
      return bpfTry(BpfCommand.MAP_CREATE, mapCreateAttr(type, 4, 4, 1, 0, inner));
    } finally {
      getBackend().close(inner);
    }
  }
  const [key, value, entries, flags] = probeShape(type);
  return bpfTry(BpfCommand.MAP_CREATE, mapCreateAttr(type, key, value, entries, flags));
}

/**
 * True when BPF_MAP_UPDATE_BATCH works for maps of `type` (map-in-map types included),
 * probed with an empty batch, which the kernel accepts without writing anything.
 */
export function batchUpdateSupported(type: number): boolean {
  return cached(`batch-update:${type}`, () => {
    const fd = createProbeMap(type);
    if (fd < 0) return false;
    try {
      return (
        bpfTry(
          BpfCommand.MAP_UPDATE_BATCH,
          new BpfAttr(attrSizes.batch).u32(batchAttr.count, 0).u32(batchAttr.map_fd, fd),
        ) >= 0
      );
    } finally {
      getBackend().close(fd);
    }
  });
}

/** `r0 = 0; exit` plus an optional helper call first, as instruction bytes. */
function probeProgram(helper?: number): Uint8Array {
  const insns =
    helper === undefined
      ? [
          [0xb7, 0, 0],
          [0x95, 0, 0],
        ]
      : [
          [0x85, 0, helper],
          [0xb7, 0, 0],
          [0x95, 0, 0],
        ];
  const bytes = nativeBuffer(insns.length * 8);
  const view = new DataView(bytes.buffer);
  insns.forEach(([code, dst, imm], i) => {
    view.setUint8(i * 8, code as number);
    view.setUint8(i * 8 + 1, dst as number);
    view.setInt32(i * 8 + 4, imm as number, true);
  });
  return bytes;
}

/** `BPF_TRACE_UPROBE_MULTI`. */
const UPROBE_MULTI = 48;

/** Expected attach type and flags some program types need before they load at all. */
const probeAttach: Record<number, { attach?: number; flags?: number }> = {
  18: { attach: 10 }, // CGROUP_SOCK_ADDR: BPF_CGROUP_INET4_CONNECT
  25: { attach: 21 }, // CGROUP_SOCKOPT: BPF_CGROUP_GETSOCKOPT
  30: { attach: 36 }, // SK_LOOKUP
  31: { flags: 0x10 }, // SYSCALL: sleepable
  32: { attach: 45 }, // NETFILTER
};

function loadProbe(
  programType: number,
  instructions: Uint8Array,
  log?: Uint8Array,
  extra: { attach?: number; flags?: number } = probeAttach[programType] ?? {},
): number {
  const license = nativeBuffer(4);
  license.set([0x47, 0x50, 0x4c]);
  const attr = new BpfAttr(attrSizes.progLoad)
    .u32(progLoadAttr.prog_type, programType)
    .u32(progLoadAttr.insn_cnt, instructions.length / 8)
    .pointer(progLoadAttr.insns, instructions)
    .pointer(progLoadAttr.license, license)
    .u32(progLoadAttr.log_level, log === undefined ? 0 : 1)
    .u32(progLoadAttr.log_size, log?.length ?? 0)
    .pointer(progLoadAttr.log_buf, log)
    .u32(progLoadAttr.prog_flags, extra.flags ?? 0)
    .u32(progLoadAttr.expected_attach_type, extra.attach ?? 0);
  return bpfTry(BpfCommand.PROG_LOAD, attr);
}

/**
 * True when the kernel can load programs of `type` (BPF_PROG_TYPE_*). TRACING, LSM, EXT and
 * STRUCT_OPS need a BTF attach target to load at all and report false here; LIRC_MODE2
 * needs CONFIG_BPF_LIRC_MODE2.
 */
export function programTypeSupported(type: number): boolean {
  return cached(`prog:${type}`, () => {
    const fd = loadProbe(type, probeProgram());
    if (fd >= 0) getBackend().close(fd);
    return fd >= 0;
  });
}

/**
 * True when programs of `programType` may call helper `helper` (`BPF_FUNC_*`): a probe that
 * calls it is rejected with "invalid func" / "unknown func" only when it may not.
 */
export function helperSupported(programType: number, helper: number): boolean {
  return cached(`helper:${programType}:${helper}`, () => {
    const log = nativeBuffer(4096);
    const fd = loadProbe(programType, probeProgram(helper), log);
    if (fd >= 0) {
      getBackend().close(fd);
      return true;
    }
    const text = new TextDecoder().decode(log.subarray(0, Math.max(0, log.indexOf(0))));
    if (fd === -Errno.EPERM || fd === -Errno.ENOSYS) return false;
    return !/invalid func|unknown func|program of this type cannot use helper/.test(text);
  });
}

/** Entries a batch probe asks for (the probe map holds as many). */
const BATCH_PROBE_COUNT = 4;

/**
 * True when BPF_MAP_*_BATCH works for maps of `type`: a lookup batch on a small map of the
 * type, its buffers sized by the layout rule (per-CPU types take a value per possible CPU).
 */
export function batchSupported(type: number): boolean {
  return cached(`batch:${type}`, () => {
    const [keySize, valueSize] = probeShape(type);
    const fd = bpfTry(BpfCommand.MAP_CREATE, mapCreateAttr(type, keySize, valueSize, BATCH_PROBE_COUNT));
    if (fd < 0) return false;
    try {
      mapLookupBatch(fd, { layout: { type, keySize, valueSize }, count: BATCH_PROBE_COUNT });
      return true;
    } catch (error) {
      if (BpfSyscallError.is(error)) return false;
      throw error;
    } finally {
      getBackend().close(fd);
    }
  });
}

/** True when array maps can be created with BPF_F_MMAPABLE. */
export function mmapableArraysSupported(): boolean {
  return cached('mmapable', () =>
    creates(BpfCommand.MAP_CREATE, mapCreateAttr(MapType.ARRAY, 4, 4, 1, MapFlag.MMAPABLE)),
  );
}

/** True when kprobe programs can call `bpf_get_attach_cookie` (kernel 5.15). */
export function attachCookieSupported(): boolean {
  return helperSupported(2 /* KPROBE */, 174 /* bpf_get_attach_cookie */);
}

/**
 * True when links of `attachType` exist for programs of `programType` (e.g. TCX_INGRESS 46
 * or NETKIT_PRIMARY 54 for SCHED_CLS 3): linking a probe program to interface 0 fails with
 * ENODEV where the kernel knows the attach type and with EINVAL where it does not.
 */
export function linkAttachTypeSupported(attachType: number, programType = 3): boolean {
  return cached(`link:${attachType}:${programType}`, () => {
    const program = loadProbe(programType, probeProgram());
    if (program < 0) return false;
    try {
      const attr = new BpfAttr(attrSizes.linkCreate)
        .u32(linkCreateAttr.prog_fd, program)
        .u32(linkCreateAttr.target_fd, 0)
        .u32(linkCreateAttr.attach_type, attachType);
      const result = bpfTry(BpfCommand.LINK_CREATE, attr);
      if (result >= 0) getBackend().close(result);
      return result !== -Errno.EINVAL;
    } finally {
      getBackend().close(program);
    }
  });
}

/**
 * True when USDT can attach through one uprobe_multi link, as libbpf decides it
 * (FEAT_UPROBE_MULTI_LINK): a KPROBE program loads with `BPF_TRACE_UPROBE_MULTI`, a link on
 * path "/" fails with EBADF (the kernel knows the link type), and the same link with pid -1
 * fails with EINVAL (the kernel filters by process, not by thread, which older 6.6 did).
 */
export function uprobeMultiLinkSupported(): boolean {
  return cached('uprobe-multi-link', () => {
    const program = loadProbe(2 /* KPROBE */, probeProgram(), undefined, { attach: UPROBE_MULTI });
    if (program < 0) return false;
    try {
      const path = nativeBuffer(2);
      path.set([0x2f]);
      const offsets = nativeBuffer(8);
      const link = (pid: number) => {
        const attr = new BpfAttr(attrSizes.linkCreate)
          .u32(linkCreateAttr.prog_fd, program)
          .u32(linkCreateAttr.attach_type, UPROBE_MULTI)
          .pointer(linkCreateAttr.uprobe_multi.path, path)
          .pointer(linkCreateAttr.uprobe_multi.offsets, offsets)
          .u32(linkCreateAttr.uprobe_multi.cnt, 1)
          .u32(linkCreateAttr.uprobe_multi.pid, pid);
        const result = bpfTry(BpfCommand.LINK_CREATE, attr);
        if (result >= 0) getBackend().close(result);
        return result;
      };
      return link(0) === -Errno.EBADF && link(-1) === -Errno.EINVAL;
    } finally {
      getBackend().close(program);
    }
  });
}

/** True when the kernel's BTF loader accepts `kind` (BTF_KIND_*), probed with a minimal blob using it. */
export function btfKindSupported(kind: number): boolean {
  return cached(`btf:${kind}`, () => {
    const fd = loadProbeBtf(kind);
    if (fd >= 0) getBackend().close(fd);
    return fd >= 0;
  });
}

/**
 * Which BTF forms the kernel's BTF loader accepts, each probed once with a minimal blob:
 * the fields of `@bpfkit/btf`'s `BtfFeatures`, which `sanitizeBtf` rewrites away when false.
 */
export function btfFeatures(): {
  /** BTF_KIND_VAR and BTF_KIND_DATASEC (global data). */
  datasec: boolean;
  /** BTF_KIND_FUNC and BTF_KIND_FUNC_PROTO. */
  func: boolean;
  /** Global (non-static) functions. */
  globalFunc: boolean;
  /** BTF_KIND_FLOAT. */
  float: boolean;
  /** BTF_KIND_DECL_TAG. */
  declTag: boolean;
  /** BTF_KIND_TYPE_TAG. */
  typeTag: boolean;
  /** BTF_KIND_ENUM64. */
  enum64: boolean;
} {
  const func = btfKindSupported(12);
  return {
    datasec: btfKindSupported(15),
    func,
    globalFunc:
      func &&
      cached('btf:global-func', () => {
        const fd = loadProbeBtf(12, globalFuncProbeTypes());
        if (fd >= 0) getBackend().close(fd);
        return fd >= 0;
      }),
    float: btfKindSupported(16),
    declTag: btfKindSupported(17),
    typeTag: btfKindSupported(18),
    enum64: btfKindSupported(19),
  };
}

/** An int, a FUNC_PROTO of it, and a FUNC with global linkage (5.6) named `a`. */
function globalFuncProbeTypes(): Uint8Array {
  const words = [0, 1 << 24, 4, (1 << 24) | 32, 0, 13 << 24, 1, 1, (12 << 24) | 1, 2];
  const bytes = nativeBuffer(words.length * 4);
  const view = new DataView(bytes.buffer);
  words.forEach((w, i) => {
    view.setUint32(i * 4, w >>> 0, true);
  });
  return bytes;
}

/** Loads a minimal BTF blob using `kind` (or the given types); the fd, or `-errno`. */
function loadProbeBtf(kind: number, types = probeBtfTypes(kind)): number {
  {
    const strings = new Uint8Array([0, 0x61, 0]);
    const blob = nativeBuffer(24 + types.length + strings.length);
    const view = new DataView(blob.buffer);
    view.setUint16(0, 0xeb9f, true);
    view.setUint8(2, 1);
    view.setUint32(4, 24, true);
    view.setUint32(12, types.length, true);
    view.setUint32(16, types.length, true);
    view.setUint32(20, strings.length, true);
    blob.set(types, 24);
    blob.set(strings, 24 + types.length);
    const attr = new BpfAttr(attrSizes.btfLoad).pointer(btfLoadAttr.btf, blob).u32(btfLoadAttr.btf_size, blob.length);
    return bpfTry(BpfCommand.BTF_LOAD, attr);
  }
}

/** An int (id 1) plus one type of `kind` that refers to it, named `a` where a name is needed. */
function probeBtfTypes(kind: number): Uint8Array {
  const words: number[] = [0, 1 << 24, 4, (1 << 24) | 32]; // [1] int, size 4, signed 32 bits
  const info = (k: number, vlen = 0, flag = 0) => ((flag << 31) | (k << 24) | vlen) >>> 0;
  switch (kind) {
    case 1: // INT: the base type alone
      break;
    case 3: // ARRAY of 1 int, indexed by int
      words.push(0, info(3), 0, 1, 1, 1);
      break;
    case 7: // FWD (named)
      words.push(1, info(7), 0);
      break;
    case 12: // FUNC → needs FUNC_PROTO [2]
      words.push(0, info(13), 1, 1, info(12), 2);
      break;
    case 14: // VAR
      words.push(1, info(14), 1, 1);
      break;
    case 15: // DATASEC with VAR [2]
      words.push(1, info(14), 1, 1, 1, info(15, 1), 4, 2, 0, 4);
      break;
    case 16: // FLOAT
      words.push(1, info(16), 4);
      break;
    case 17: // DECL_TAG on a struct [2]
      words.push(1, info(4, 1), 4, 1, 1, 0, 1, info(17), 2, 0xffffffff);
      break;
    case 18: // TYPE_TAG then a PTR to it
      words.push(1, info(18), 1, 0, info(2), 2);
      break;
    case 19: // ENUM64
      words.push(1, info(19, 1), 8, 1, 0, 1);
      break;
    case 4: // STRUCT
      words.push(1, info(4, 1), 4, 1, 1, 0);
      break;
    case 6: // ENUM
      words.push(1, info(6, 1), 4, 1, 0);
      break;
    default: // kinds that only refer to another type (PTR, TYPEDEF, CONST, …)
      words.push(kind === 8 ? 1 : 0, info(kind), 1);
  }
  const bytes = nativeBuffer(words.length * 4);
  const view = new DataView(bytes.buffer);
  words.forEach((w, i) => {
    view.setUint32(i * 4, w >>> 0, true);
  });
  return bytes;
}
