import { type Fd, openPerfEvent, PerfType, tracepointId } from '@bpfkit/syscall';
import { kernelStep, LinkError, type LinkErrorContext } from './errors.js';
import { tracefsRoot } from './tracefs.js';

const { appendFileSync, existsSync } = process.getBuiltinModule('node:fs');

/** A probe made through tracefs (`kprobe_events` or `uprobe_events`), the interface of kernels without a probe PMU. */
export interface ProbeEvent {
  /** The perf event on the probe's tracepoint. */
  readonly event: Fd;
  /** Removes the probe from tracefs (after every fd on it is closed). */
  readonly remove: () => void;
}

/** What to probe through tracefs. */
export interface ProbeEventSpec {
  readonly kind: 'kprobe' | 'uprobe';
  readonly retprobe: boolean;
  /** The probe location as tracefs reads it: `func+0xoff` for kprobes, `/path:0xoffset[(0xrefctr)]` for uprobes. */
  readonly location: string;
  /** kretprobes only: how many instances may be pending at once (`r<maxactive>:`). */
  readonly maxactive?: number;
  /** pid to watch, -1 for every process. */
  readonly pid?: number;
}

let created = 0;

/** A tracefs event name: letters, digits and `_` only, unique in this process. */
function eventName(spec: ProbeEventSpec): string {
  const base = spec.location.replace(/[^A-Za-z0-9_]/g, '_').slice(-40);
  return `bpfkit_${process.pid}_${created++}_${base}`;
}

/**
 * Creates a probe through tracefs (`p:` or `r[maxactive]:` appended to `kprobe_events` or
 * `uprobe_events`, in group `kprobes`/`uprobes`, or `kretprobes`/`uretprobes` for returns,
 * one line without a newline, as libbpf writes it) and opens a perf event on its
 * tracepoint. The probe is removed again if the perf event cannot be opened.
 * @throws {@link LinkError} `not-supported` when tracefs or the events file is missing,
 * `kernel` when tracefs refuses the probe (no such function, bad offset).
 */
export function addProbeEvent(spec: ProbeEventSpec, context: LinkErrorContext): ProbeEvent {
  const root = tracefsRoot(`a ${spec.kind} without a ${spec.kind} PMU`);
  const file = `${root}/${spec.kind}_events`;
  if (!existsSync(file)) {
    throw new LinkError(
      'not-supported',
      `this kernel makes no ${spec.kind}s: no ${spec.kind} PMU and no ${file}`,
      { ...context, path: file },
      spec.kind === 'kprobe' ? 'the kernel was built without CONFIG_KPROBES; use a tracepoint or raw_tp' : undefined,
    );
  }
  const group = spec.retprobe ? `${spec.kind.charAt(0)}ret${spec.kind.slice(1)}s` : `${spec.kind}s`;
  const name = eventName(spec);
  const type = spec.retprobe ? `r${spec.maxactive ?? ''}` : 'p';
  try {
    appendFileSync(file, `${type}:${group}/${name} ${spec.location}`);
  } catch (error) {
    throw new LinkError(
      'kernel',
      `tracefs refused the probe '${spec.location}': ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      { ...context, path: file },
      `${root}/error_log says why`,
      { cause: error, causeInMessage: false },
    );
  }
  const remove = () => {
    try {
      appendFileSync(file, `-:${group}/${name}`);
    } catch {
      // Already gone (removed by hand, or tracefs unmounted): nothing left to undo.
    }
  };
  try {
    const id = kernelStep('read the probe id', { ...context, path: root }, () => tracepointId(group, name, [root]));
    const pid = spec.pid ?? -1;
    const event = kernelStep('open the perf event', context, () =>
      openPerfEvent(
        { type: PerfType.TRACEPOINT, config: id, pid, cpu: pid < 0 ? 0 : -1, samplePeriod: 0n },
        `${spec.kind} ${spec.location}`,
      ),
    );
    return { event, remove };
  } catch (error) {
    remove();
    throw error;
  }
}
