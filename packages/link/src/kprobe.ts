import { nativeBuffer, openPerfEvent, probePmu } from '@bpfkit/syscall';
import { kernelStep, LinkError } from './errors.js';
import type { Link } from './link.js';
import { linkPerfEvent, type PerfEventLinkOptions } from './perf-event.js';
import { addProbeEvent } from './probe-events.js';

const { existsSync } = process.getBuiltinModule('node:fs');

/** Options for {@link attachKprobe}. */
export interface KprobeOptions extends PerfEventLinkOptions {
  /** Byte offset into the function (entry probes only). */
  readonly offset?: number;
  /** Probe the function's return (a kretprobe). */
  readonly retprobe?: boolean;
  /** kretprobes: how many calls may be pending at once; needs tracefs `kprobe_events`, as the PMU has no such field. */
  readonly maxactive?: number;
  /** Use tracefs `kprobe_events` even where the kprobe PMU exists. */
  readonly legacy?: boolean;
}

const KPROBE_PMU = '/sys/bus/event_source/devices/kprobe/type';

/** One encoder for every name written (an encoder per call was garbage per attach). */
const utf8 = new TextEncoder();

/** A NUL-terminated copy of `text` in a native buffer. */
export function cString(text: string): Uint8Array {
  const encoded = utf8.encode(text);
  const bytes = nativeBuffer(encoded.length + 1);
  bytes.set(encoded);
  return bytes;
}

/**
 * Attaches a `kprobe` program to kernel function `func` (`do_sys_openat2`): through the
 * kprobe PMU (`perf_event_open` with the function name and offset, as libbpf), or, where
 * there is none, through tracefs `kprobe_events` (removed again when the link closes).
 * @throws {@link LinkError} `not-supported` when the kernel has neither (`CONFIG_KPROBES`
 * off), `kernel` for a function that cannot be probed.
 * @example
 * ```ts
 * import { attachKprobe } from '@bpfkit/link';
 * import { BpfObject } from '@bpfkit/loader';
 *
 * using obj = BpfObject.open('probe.bpf.o');
 * obj.load();
 * using entry = attachKprobe(obj.program('on_openat').fd, 'do_sys_openat2');
 * using exit = attachKprobe(obj.program('on_openat_ret').fd, 'do_sys_openat2', { retprobe: true });
 * ```
 */
export function attachKprobe(programFd: number, func: string, options: KprobeOptions = {}): Link {
  const retprobe = options.retprobe ?? false;
  const kind = retprobe ? 'kretprobe' : 'kprobe';
  const offset = options.offset ?? 0;
  const context = { kind, target: offset === 0 ? func : `${func}+${offset}` };
  if (!/^[A-Za-z_.$][\w.$]*$/.test(func)) {
    throw new LinkError('bad-target', 'not a kernel function name', context);
  }
  if (retprobe && offset !== 0) throw new LinkError('bad-target', 'a kretprobe cannot have an offset', context);
  if (options.maxactive !== undefined && !retprobe) {
    throw new LinkError('bad-target', 'maxactive applies to kretprobes only', context);
  }
  const legacy = options.legacy === true || options.maxactive !== undefined || !existsSync(KPROBE_PMU);
  if (legacy) {
    const probe = addProbeEvent(
      {
        kind: 'kprobe',
        retprobe,
        location: `${func}+0x${offset.toString(16)}`,
        ...(options.maxactive === undefined ? {} : { maxactive: options.maxactive }),
      },
      context,
    );
    return linkPerfEvent(kind, programFd, probe.event, options, context, probe.remove);
  }
  const { type, retprobeBit } = kernelStep('read the kprobe PMU', context, () => probePmu('kprobe'));
  const event = kernelStep('open the kprobe perf event', context, () =>
    openPerfEvent(
      {
        type,
        config: retprobe ? 1n << BigInt(retprobeBit) : 0n,
        config1: cString(func),
        config2: BigInt(offset),
        pid: -1,
        cpu: 0,
        samplePeriod: 0n,
      },
      `${kind} ${func}`,
    ),
  );
  return linkPerfEvent(kind, programFd, event, options, context);
}
