import { isLittleEndianHost, nativeBuffer } from './attr.js';
import { getBackend } from './backend.js';
import { Errno } from './errno.js';
import { BpfSyscallError } from './errors.js';
import { Fd } from './fd.js';
import { perfEventAttr, perfEventAttrBits } from './generated/structs.js';

const { existsSync, readFileSync } = process.getBuiltinModule('node:fs');

/** `perf_event_attr.type` values used for BPF attachment. */
export const PerfType = {
  /** `PERF_TYPE_HARDWARE` */
  HARDWARE: 0,
  /** `PERF_TYPE_SOFTWARE` */
  SOFTWARE: 1,
  /** `PERF_TYPE_TRACEPOINT` */
  TRACEPOINT: 2,
} as const;

/** `PERF_COUNT_SW_BPF_OUTPUT`: the software event `bpf_perf_event_output` writes to. */
export const PERF_COUNT_SW_BPF_OUTPUT = 10;

/** `PERF_SAMPLE_RAW`: samples carry the raw bytes a program output. */
export const PERF_SAMPLE_RAW = 1 << 10;

/** The byte offset of the 64-bit word holding `perf_event_attr`'s flag bitfields (`disabled` is its first bit). */
const FLAGS_WORD = (perfEventAttrBits.disabled >> 6) << 3;
/** The bit of the flags word that holds `bitfield` (a one-bit field of `perf_event_attr`). */
function attrFlag(bitfield: keyof typeof perfEventAttrBits): bigint {
  return 1n << BigInt(perfEventAttrBits[bitfield] - FLAGS_WORD * 8);
}
/** `perf_event_attr` flag bit `watermark`: wake-ups count bytes, not events. */
const ATTR_WATERMARK = attrFlag('watermark');
/** `perf_event_attr` flag bit `freq`: the period field holds a sampling frequency (Hz). */
const ATTR_FREQ = attrFlag('freq');

/** perf ioctls (`PERF_EVENT_IOC_*`). */
export const PerfIoctl = {
  /** `PERF_EVENT_IOC_ENABLE` */
  ENABLE: 0x2400,
  /** `PERF_EVENT_IOC_DISABLE` */
  DISABLE: 0x2401,
  /** `PERF_EVENT_IOC_SET_BPF`: attach a program fd */
  SET_BPF: 0x40042408,
} as const;

/** `PERF_FLAG_FD_CLOEXEC`. */
const PERF_FLAG_FD_CLOEXEC = 8;
/**
 * Size of `struct perf_event_attr` we write: `PERF_ATTR_SIZE_VER5`, everything before
 * `aux_sample_size`, as Debian's libbpf sends (its headers' sizeof); the fields past it are
 * ones bpfkit never sets.
 */
const PERF_ATTR_SIZE = perfEventAttr.aux_sample_size;

/** A perf event opened with perf_event_open(2). */
export interface PerfEventOptions {
  /** `PerfType`, or a dynamic PMU type (kprobe, uprobe). */
  readonly type: number;
  /** Event config: tracepoint id, or probe flags (the retprobe bit). */
  readonly config: bigint | number;
  /** `config1`: a pointer (uprobe path, kprobe function name), as a buffer. */
  readonly config1?: Uint8Array;
  /** `config2`: an offset (uprobe offset, kprobe address). */
  readonly config2?: bigint;
  /** pid to watch (-1 for all), cpu (-1 for any). */
  readonly pid?: number;
  /** CPU to watch (-1 for any, with a pid). */
  readonly cpu?: number;
  /** Sample period (1 for tracepoints). */
  readonly samplePeriod?: bigint;
  /** Sample at this many samples per second instead of every `samplePeriod` events (`freq`, `sample_freq`). */
  readonly sampleFrequency?: number;
  /** `sample_type`: what each sample carries (`PERF_SAMPLE_RAW` for BPF output). */
  readonly sampleType?: number;
  /**
   * When readers of the event's ring are woken: after this many samples (`wakeup_events`),
   * or once this many bytes are waiting (`watermark` with `wakeup_watermark`).
   */
  readonly wakeup?:
    | {
        /** Wake readers after this many samples. */
        readonly events: number;
      }
    | {
        /** Wake readers once this many bytes are waiting. */
        readonly bytes: number;
      };
}

/**
 * perf_event_open(2) for attaching BPF programs (tracepoints, uprobes, kprobes).
 * @throws {@link BpfSyscallError} (command `perf_event_open`).
 */
export function openPerfEvent(options: PerfEventOptions, description = 'perf event'): Fd {
  const attr = nativeBuffer(PERF_ATTR_SIZE);
  const view = new DataView(attr.buffer);
  const le = isLittleEndianHost;
  const b = getBackend();
  const at = perfEventAttr;
  view.setUint32(at.type, options.type, le);
  view.setUint32(at.size, PERF_ATTR_SIZE, le);
  view.setBigUint64(at.config, BigInt(options.config), le);
  const frequency = options.sampleFrequency;
  if (frequency === undefined) view.setBigUint64(at.sample_period, options.samplePeriod ?? 1n, le);
  else view.setBigUint64(at.sample_freq, BigInt(frequency), le);
  view.setBigUint64(at.sample_type, BigInt(options.sampleType ?? 0), le);
  let flags = frequency === undefined ? 0n : ATTR_FREQ;
  if (options.wakeup !== undefined) {
    if ('bytes' in options.wakeup) {
      flags |= ATTR_WATERMARK;
      view.setUint32(at.wakeup_watermark, options.wakeup.bytes, le);
    } else view.setUint32(at.wakeup_events, options.wakeup.events, le);
  }
  view.setBigUint64(FLAGS_WORD, flags, le);
  if (options.config1 !== undefined) view.setBigUint64(at.config1, b.address(options.config1), le);
  if (options.config2 !== undefined) view.setBigUint64(at.config2, options.config2, le);
  const fd = b.perfEventOpen(attr, options.pid ?? -1, options.cpu ?? 0, -1, PERF_FLAG_FD_CLOEXEC);
  if (fd < 0) throw new BpfSyscallError('perf_event_open', -fd, { object: description });
  return new Fd(fd, description);
}

const tracefsRoots = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'];

/**
 * The id of tracepoint `category/name` from tracefs (mounted at one of `roots`).
 * @throws {@link BpfSyscallError} ENOENT when no tracefs has the tracepoint, EINVAL when its
 * `id` file does not hold a decimal id.
 */
export function tracepointId(category: string, name: string, roots: readonly string[] = tracefsRoots): number {
  const what = `read the id of tracepoint ${category}/${name}`;
  const object = `tracepoint ${category}/${name}`;
  const paths = roots.map((root) => `${root}/events/${category}/${name}/id`);
  for (const path of paths) {
    if (!existsSync(path)) continue;
    const text = readFileSync(path, 'utf8').trim();
    if (!/^\d{1,15}$/.test(text)) throw new BpfSyscallError(`${what} (not a number)`, Errno.EINVAL, { object, path });
    return Number(text);
  }
  throw new BpfSyscallError(`${what} (is tracefs mounted?)`, Errno.ENOENT, { object, path: paths.join(' or ') });
}

/** The dynamic PMU type of `kprobe` or `uprobe`, and the config bit that makes it a return probe. */
export function probePmu(kind: 'kprobe' | 'uprobe'): {
  /** The PMU's perf event type, for {@link PerfEventOptions.type}. */
  type: number;
  /** The `config` bit that turns a probe into a return probe. */
  retprobeBit: number;
} {
  const dir = `/sys/bus/event_source/devices/${kind}`;
  const type = Number(readFileSync(`${dir}/type`, 'utf8').trim());
  const format = existsSync(`${dir}/format/retprobe`) ? readFileSync(`${dir}/format/retprobe`, 'utf8') : 'config:0';
  return { type, retprobeBit: Number(/config:(\d+)/.exec(format)?.[1] ?? 0) };
}

/** ioctl on a perf event fd (enable, disable, set the BPF program). */
export function perfIoctl(fd: number, request: number, argument = 0): void {
  const result = getBackend().ioctl(fd, request, argument);
  if (result < 0) throw new BpfSyscallError('ioctl', -result, { object: 'perf event' });
}
