import { createLink, duplicateFd, type Fd } from '@bpfkit/syscall';
import { kernelStep, type LinkErrorContext } from './errors.js';
import { Link, type Release } from './link.js';

/** `BPF_PERF_EVENT`: the attach type of links over perf events. */
export const ATTACH_PERF_EVENT = 41;

/** Options of every attachment made through a perf event. */
export interface PerfEventLinkOptions {
  /** The value `bpf_get_attach_cookie()` returns in the program (Linux 5.15+). */
  readonly cookie?: bigint;
}

/**
 * Attaches `programFd` to the perf event `event` through a bpf link (BPF_LINK_CREATE with
 * `BPF_PERF_EVENT`). The link owns the event: closing it closes both, then runs `release`.
 * On failure the event is closed and `release` run.
 */
export function linkPerfEvent(
  kind: string,
  programFd: number,
  event: Fd,
  options: PerfEventLinkOptions,
  context: LinkErrorContext,
  release?: Release,
): Link {
  try {
    const link = kernelStep('attach through a perf link', context, () =>
      createLink(
        {
          programFd,
          target: event.fd,
          attachType: ATTACH_PERF_EVENT,
          ...(options.cookie === undefined ? {} : { cookie: options.cookie }),
        },
        `${kind} link`,
      ),
    );
    return new Link(kind, link, [event], release);
  } catch (error) {
    event.close();
    release?.();
    throw error;
  }
}

/**
 * Attaches `programFd` to a perf event the caller opened (`perf_event_open`), for
 * `perf_event` programs (`profile`, `llcstat`): the caller keeps owning `eventFd`, and may
 * close it first (the link keeps a duplicate, closed with it).
 * @throws {@link LinkError} `kernel` when `eventFd` is not open or the kernel refuses the link.
 */
export function attachPerfEvent(programFd: number, eventFd: number, options: PerfEventLinkOptions = {}): Link {
  const context = { kind: 'perf_event', target: `fd ${eventFd}` };
  const event = kernelStep('keep the perf event', context, () => duplicateFd(eventFd, 'perf event of a perf link'));
  return linkPerfEvent('perf_event', programFd, event, options, context);
}
