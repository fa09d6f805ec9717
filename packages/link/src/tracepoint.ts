import { openPerfEvent, PerfType, tracepointId } from '@bpfkit/syscall';
import { kernelStep } from './errors.js';
import type { Link } from './link.js';
import { linkPerfEvent, type PerfEventLinkOptions } from './perf-event.js';
import { tracefsRoot } from './tracefs.js';

/**
 * Attaches a `tracepoint` program to `category/name` (`syscalls/sys_enter_kill`): the
 * tracepoint's id from tracefs, a perf event on it, a perf link.
 * @throws {@link LinkError} `not-supported` without tracefs, `kernel` (ENOENT) for an
 * unknown tracepoint.
 * @example
 * ```ts
 * import { attachTracepoint } from '@bpfkit/link';
 * import { BpfObject } from '@bpfkit/loader';
 *
 * using obj = BpfObject.open('tracepoint.bpf.o');
 * obj.load();
 * using link = attachTracepoint(obj.program('count_kill').fd, 'syscalls', 'sys_enter_kill');
 * ```
 */
export function attachTracepoint(
  programFd: number,
  category: string,
  name: string,
  options: PerfEventLinkOptions = {},
): Link {
  const context = { kind: 'tracepoint', target: `${category}/${name}` };
  const root = tracefsRoot(`tracepoint ${category}/${name}`);
  const id = kernelStep('read the tracepoint id', { ...context, path: root }, () =>
    tracepointId(category, name, [root]),
  );
  const event = kernelStep('open the perf event', context, () =>
    openPerfEvent(
      { type: PerfType.TRACEPOINT, config: id, pid: -1, cpu: 0, samplePeriod: 0n },
      `tracepoint ${category}/${name}`,
    ),
  );
  return linkPerfEvent('tracepoint', programFd, event, options, context);
}
