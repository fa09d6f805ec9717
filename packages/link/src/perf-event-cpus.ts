import {
  BpfSyscallError,
  type Fd,
  linkAttachTypeSupported,
  onlineCpus,
  openPerfEvent,
  PerfIoctl,
  PerfType,
  perfIoctl,
} from '@bpfkit/syscall';
import { kernelStep, LinkError, type LinkErrorContext } from './errors.js';
import { Link } from './link.js';
import { ATTACH_PERF_EVENT, linkPerfEvent, type PerfEventLinkOptions } from './perf-event.js';

/** `PERF_COUNT_SW_*`: software events, counted by the kernel on every machine. */
export const PerfSoftwareEvent = {
  /** `PERF_COUNT_SW_CPU_CLOCK` */
  CPU_CLOCK: 0,
  /** `PERF_COUNT_SW_TASK_CLOCK` */
  TASK_CLOCK: 1,
  /** `PERF_COUNT_SW_PAGE_FAULTS` */
  PAGE_FAULTS: 2,
  /** `PERF_COUNT_SW_CONTEXT_SWITCHES` */
  CONTEXT_SWITCHES: 3,
} as const;

/** `PERF_COUNT_HW_*`: hardware events, counted by the CPU's PMU where the machine exposes one. */
export const PerfHardwareEvent = {
  /** `PERF_COUNT_HW_CPU_CYCLES` */
  CPU_CYCLES: 0,
  /** `PERF_COUNT_HW_INSTRUCTIONS` */
  INSTRUCTIONS: 1,
  /** `PERF_COUNT_HW_CACHE_REFERENCES` */
  CACHE_REFERENCES: 2,
  /** `PERF_COUNT_HW_CACHE_MISSES` */
  CACHE_MISSES: 3,
  /** `PERF_COUNT_HW_BRANCH_INSTRUCTIONS` */
  BRANCH_INSTRUCTIONS: 4,
  /** `PERF_COUNT_HW_BRANCH_MISSES` */
  BRANCH_MISSES: 5,
} as const;

/** One perf event to open on every CPU: what to count, and how often to sample it. */
export interface CpuEventSpec {
  /** `PerfType.SOFTWARE` or `PerfType.HARDWARE` (or a dynamic PMU's type). */
  readonly type: number;
  /** The event of that type ({@link PerfSoftwareEvent}, {@link PerfHardwareEvent}). */
  readonly config: number | bigint;
  /**
   * How often a sample (a run of an attached program) happens: `{ frequency }` samples per
   * second (bcc `profile -F`), `{ period }` events per sample (`llcstat -c`); absent, the
   * event only counts (for a `PERF_EVENT_ARRAY` a program reads with `bpf_perf_event_read_value`).
   */
  readonly sample?:
    | {
        /** Samples per second. */
        readonly frequency: number;
      }
    | {
        /** Events per sample. */
        readonly period: bigint;
      };
}

/** Options for {@link attachPerfEventPerCpu}. */
export interface PerfEventPerCpuOptions extends PerfEventLinkOptions {
  /** The CPUs to open the event on (default: every online CPU). */
  readonly cpus?: readonly number[];
  /**
   * Attach with `PERF_EVENT_IOC_SET_BPF` instead of a bpf link, as kernels before 5.15 need
   * (taken by itself when the kernel has no perf links); such an attachment has no link fd.
   */
  readonly ioctl?: boolean;
}

function describe(event: CpuEventSpec): string {
  const names = event.type === PerfType.SOFTWARE ? PerfSoftwareEvent : PerfHardwareEvent;
  const known = Object.entries(names).find(([, value]) => BigInt(value) === BigInt(event.config));
  const kind = event.type === PerfType.SOFTWARE ? 'software' : event.type === PerfType.HARDWARE ? 'hardware' : 'pmu';
  return `${kind} ${known === undefined ? `event ${event.config}` : known[0].toLowerCase()}`;
}

/**
 * Opens `event` once per CPU (every online CPU unless `cpus` is given), for every process
 * (pid -1): the fds, in CPU order, for a `PERF_EVENT_ARRAY` (fd at the CPU's slot) or for
 * {@link attachPerfEventPerCpu}. If one CPU fails, the ones already opened are closed.
 * @throws {@link LinkError} `not-supported` for a hardware event on a machine without a
 * CPU PMU (ENOENT, EOPNOTSUPP), `kernel` otherwise.
 */
export function openPerfEventPerCpu(event: CpuEventSpec, cpus?: readonly number[]): Fd[] {
  const context: LinkErrorContext = { kind: 'perf_event', target: describe(event) };
  const targets = cpus ?? kernelStep('list the online CPUs', context, onlineCpus);
  const sample = event.sample;
  const opened: Fd[] = [];
  try {
    for (const cpu of targets) {
      opened.push(open(event, cpu, sample, context));
    }
  } catch (error) {
    for (const fd of opened) fd.close();
    throw error;
  }
  return opened;
}

function open(event: CpuEventSpec, cpu: number, sample: CpuEventSpec['sample'], context: LinkErrorContext): Fd {
  const what = `open the perf event on cpu ${cpu}`;
  return kernelStep(what, context, () => {
    try {
      return openPerfEvent(
        {
          type: event.type,
          config: event.config,
          pid: -1,
          cpu,
          ...(sample === undefined
            ? { samplePeriod: 0n }
            : 'frequency' in sample
              ? { sampleFrequency: sample.frequency }
              : { samplePeriod: sample.period }),
        },
        `${context.target} on cpu ${cpu}`,
      );
    } catch (error) {
      const errno = BpfSyscallError.is(error) ? error.errnoName : undefined;
      if (event.type !== PerfType.HARDWARE || (errno !== 'ENOENT' && errno !== 'EOPNOTSUPP')) throw error;
      throw new LinkError(
        'not-supported',
        `${what}: ${errno}: this machine exposes no CPU PMU for hardware events`,
        { ...context, errno },
        "sample a software event (PerfSoftwareEvent.CPU_CLOCK) instead, as bcc's profile does in virtual machines",
        { cause: error },
      );
    }
  });
}

/**
 * Attaches a `perf_event` program to `event` on every online CPU (or `options.cpus`), as
 * bcc's `profile` (cpu-clock at a frequency) and `llcstat` (cache events every N) do: one
 * perf event per CPU, each through a bpf link (BPF_LINK_CREATE with `BPF_PERF_EVENT`), or
 * with `PERF_EVENT_IOC_SET_BPF` + `PERF_EVENT_IOC_ENABLE` where the kernel has no perf
 * links (or `options.ioctl` asks). The returned {@link Link} owns every event and link; its
 * `info()` and `fd` are those of the first CPU's link. Whatever was opened is closed if a
 * CPU fails.
 * @throws {@link LinkError} `not-supported` for hardware events without a CPU PMU, `kernel`
 * when the kernel refuses an event or the attachment.
 */
export function attachPerfEventPerCpu(
  programFd: number,
  event: CpuEventSpec,
  options: PerfEventPerCpuOptions = {},
): Link {
  const context: LinkErrorContext = { kind: 'perf_event', target: describe(event) };
  const events = openPerfEventPerCpu(event, options.cpus);
  if (options.ioctl === true || !perfLinksSupported()) return attachByIoctl(programFd, events, context);
  const links: Link[] = [];
  let next = 0;
  try {
    for (; next < events.length; next++) {
      links.push(linkPerfEvent('perf_event', programFd, events[next] as Fd, options, context));
    }
  } catch (error) {
    // linkPerfEvent closed the failing CPU's event; the links own the ones before it.
    for (const link of links) link.close();
    for (const fd of events.slice(next + 1)) fd.close();
    throw error;
  }
  const [first, ...others] = links as [Link, ...Link[]];
  return first.handOver('perf_event', () => {
    for (const link of others) link.close();
  });
}

/** `BPF_PROG_TYPE_PERF_EVENT`. */
const PROGRAM_TYPE_PERF_EVENT = 7;

/** Whether BPF_LINK_CREATE takes `BPF_PERF_EVENT` for perf_event programs (5.15+), as libbpf's FEAT_PERF_LINK. */
function perfLinksSupported(): boolean {
  return linkAttachTypeSupported(ATTACH_PERF_EVENT, PROGRAM_TYPE_PERF_EVENT);
}

function attachByIoctl(programFd: number, events: Fd[], context: LinkErrorContext): Link {
  try {
    for (const event of events) {
      kernelStep('attach with PERF_EVENT_IOC_SET_BPF', context, () =>
        perfIoctl(event.fd, PerfIoctl.SET_BPF, programFd),
      );
      kernelStep('enable the perf event', context, () => perfIoctl(event.fd, PerfIoctl.ENABLE));
    }
  } catch (error) {
    for (const event of events) event.close();
    throw error;
  }
  return new Link('perf_event', undefined, events);
}
