import { createLink } from '@bpfkit/syscall';
import { kernelStep } from './errors.js';
import { Link } from './link.js';
import { interfaceIndex } from './netdev.js';

/** `BPF_TCX_INGRESS` and `BPF_TCX_EGRESS`. */
export const TcxDirection = {
  /** `BPF_TCX_INGRESS`: packets the interface receives */
  ingress: 46,
  /** `BPF_TCX_EGRESS`: packets the interface sends */
  egress: 47,
} as const;

/** `BPF_F_BEFORE` and `BPF_F_AFTER`: where among the interface's programs the new one runs. */
const F_BEFORE = 1 << 3;
const F_AFTER = 1 << 4;
const F_LINK = 1 << 13;

/** Options for {@link attachTcx}. */
export interface TcxOptions {
  /** Run before the program of this link fd (without `before` or `after` the program runs last). */
  readonly before?: number;
  /** Run after the program of this link fd. */
  readonly after?: number;
  /** Fail unless the interface's program list is at this revision. */
  readonly expectedRevision?: bigint;
}

/**
 * Attaches a `tcx/ingress` or `tcx/egress` program to network interface `device` through
 * a tcx link (Linux 6.6+); several programs can be attached, in an order the options set.
 * @throws {@link LinkError} `not-found` for an unknown interface, `kernel` when refused.
 * @example
 * ```ts
 * import { attachTcx } from '@bpfkit/link';
 * import { BpfObject } from '@bpfkit/loader';
 *
 * using obj = BpfObject.open('tc.bpf.o');
 * obj.load();
 * using link = attachTcx(obj.program('count_ingress').fd, 'eth0', 'ingress');
 * ```
 */
export function attachTcx(
  programFd: number,
  device: string | number,
  direction: keyof typeof TcxDirection,
  options: TcxOptions = {},
): Link {
  const context = { kind: `tcx/${direction}`, target: String(device) };
  const ifindex = interfaceIndex(device, context);
  const relative = options.before ?? options.after;
  const flags = options.before !== undefined ? F_BEFORE | F_LINK : options.after !== undefined ? F_AFTER | F_LINK : 0;
  const fd = kernelStep('create the tcx link', context, () =>
    createLink(
      {
        programFd,
        target: ifindex,
        attachType: TcxDirection[direction],
        flags,
        ...(relative === undefined ? {} : { relativeFd: relative }),
        ...(options.expectedRevision === undefined ? {} : { expectedRevision: options.expectedRevision }),
      },
      `tcx ${direction} ${device}`,
    ),
  );
  return new Link(`tcx/${direction}`, fd);
}
