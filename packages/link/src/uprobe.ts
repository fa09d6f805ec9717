import { openPerfEvent, probePmu } from '@bpfkit/syscall';
import { resolveBinaryPath } from './binary-path.js';
import { kernelStep, LinkError } from './errors.js';
import { cString } from './kprobe.js';
import type { Link } from './link.js';
import { linkPerfEvent, type PerfEventLinkOptions } from './perf-event.js';
import { addProbeEvent } from './probe-events.js';
import { functionOffsetIn, openProbedBinary } from './user-symbols.js';

const { existsSync } = process.getBuiltinModule('node:fs');

/** Options for {@link attachUprobe}. */
export interface UprobeOptions extends PerfEventLinkOptions {
  /** The function to probe (`readline`, `malloc@@GLIBC_2.2.5`); without it, `offset` is a file offset. */
  readonly function?: string;
  /** Bytes past the function's start, or the file offset when no function is named. */
  readonly offset?: number;
  /** Probe the function's return (a uretprobe). */
  readonly retprobe?: boolean;
  /** Only this process (-1, the default: every process). */
  readonly pid?: number;
  /** File offset of a USDT semaphore the kernel increments while the probe is attached. */
  readonly refCtrOffset?: number;
  /** Use tracefs `uprobe_events` even where the uprobe PMU exists. */
  readonly legacy?: boolean;
}

const UPROBE_PMU = '/sys/bus/event_source/devices/uprobe/type';
/** `PERF_UPROBE_REF_CTR_OFFSET_SHIFT`: where the semaphore offset sits in `config`. */
const REF_CTR_SHIFT = 32n;

/**
 * Attaches a `uprobe` program to a function of a user-space binary: `binary` is a path or a
 * name found in the library search path or `PATH`; the function is resolved to a file
 * offset through the ELF symbol tables. Uses the uprobe PMU, else tracefs `uprobe_events`.
 * @throws {@link LinkError} `not-found` for a missing binary or function, `kernel` when the
 * kernel refuses the probe.
 * @example
 * ```ts
 * import { attachUprobe } from '@bpfkit/link';
 * import { BpfObject } from '@bpfkit/loader';
 *
 * using obj = BpfObject.open('probe.bpf.o');
 * obj.load();
 * // malloc in the libc of process 1234 (the library is found through the search path)
 * using link = attachUprobe(obj.program('on_malloc').fd, 'libc.so.6', { function: 'malloc', pid: 1234 });
 * ```
 */
export function attachUprobe(programFd: number, binary: string, options: UprobeOptions = {}): Link {
  const retprobe = options.retprobe ?? false;
  const kind = retprobe ? 'uretprobe' : 'uprobe';
  const target = `${binary}${options.function === undefined ? '' : `:${options.function}`}${options.offset ? `+${options.offset}` : ''}`;
  const context = { kind, target };
  let path: string;
  let offset = options.offset ?? 0;
  if (options.function === undefined) {
    path = resolveBinaryPath(binary, context);
  } else {
    const probed = openProbedBinary(binary, context);
    path = probed.path;
    offset += functionOffsetIn(probed, options.function, context);
  }
  if (!Number.isSafeInteger(offset) || offset < 0) throw new LinkError('bad-target', `bad offset ${offset}`, context);
  const pid = options.pid ?? -1;
  const refCtr = options.refCtrOffset ?? 0;
  if (options.legacy === true || !existsSync(UPROBE_PMU)) {
    const location = `${path}:0x${offset.toString(16)}${refCtr === 0 ? '' : `(0x${refCtr.toString(16)})`}`;
    const probe = addProbeEvent({ kind: 'uprobe', retprobe, location, pid }, context);
    return linkPerfEvent(kind, programFd, probe.event, options, context, probe.remove);
  }
  const { type, retprobeBit } = kernelStep('read the uprobe PMU', context, () => probePmu('uprobe'));
  const event = kernelStep('open the uprobe perf event', { ...context, path }, () =>
    openPerfEvent(
      {
        type,
        config: (retprobe ? 1n << BigInt(retprobeBit) : 0n) | (BigInt(refCtr) << REF_CTR_SHIFT),
        config1: cString(path),
        config2: BigInt(offset),
        pid,
        cpu: pid < 0 ? 0 : -1,
        samplePeriod: 0n,
      },
      `${kind} ${target}`,
    ),
  );
  return linkPerfEvent(kind, programFd, event, options, context);
}
