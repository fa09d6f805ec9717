import { createLink, linkCreateAttr } from '@bpfkit/syscall';
import { kernelStep } from './errors.js';
import { Link } from './link.js';

/** `BPF_NETFILTER`. */
const ATTACH_NETFILTER = 45;

/** `NFPROTO_*` families a netfilter program can hook. */
export const NetfilterFamily = {
  /** `NFPROTO_IPV4` */
  IPV4: 2,
  /** `NFPROTO_IPV6` */
  IPV6: 10,
} as const;
/** `NF_INET_*` hooks. */
export const NetfilterHook = {
  /** `NF_INET_PRE_ROUTING` */
  PRE_ROUTING: 0,
  /** `NF_INET_LOCAL_IN` */
  LOCAL_IN: 1,
  /** `NF_INET_FORWARD` */
  FORWARD: 2,
  /** `NF_INET_LOCAL_OUT` */
  LOCAL_OUT: 3,
  /** `NF_INET_POST_ROUTING` */
  POST_ROUTING: 4,
} as const;

/** Where a `netfilter` program runs. */
export interface NetfilterOptions {
  /** One of {@link NetfilterFamily}. */
  readonly family: number;
  /** One of {@link NetfilterHook}. */
  readonly hook: number;
  /** Order among the hook's functions (lower first; not the reserved INT_MIN/INT_MAX). */
  readonly priority: number;
  /** `BPF_F_NETFILTER_IP_DEFRAG`: see reassembled packets. */
  readonly defrag?: boolean;
}

/**
 * Attaches a `netfilter` program (Linux 6.4+) to a hook of the caller's network namespace
 * (BPF_LINK_CREATE with `BPF_NETFILTER`); its verdict (`NF_ACCEPT`, `NF_DROP`) applies
 * to every packet through the hook.
 * @throws {@link LinkError} `kernel` when refused (EBUSY: the priority is taken).
 */
export function attachNetfilter(programFd: number, options: NetfilterOptions): Link {
  const context = {
    kind: 'netfilter',
    target: `family ${options.family} hook ${options.hook} priority ${options.priority}`,
  };
  const fd = kernelStep('create the netfilter link', context, () =>
    createLink({
      programFd,
      target: 0,
      attachType: ATTACH_NETFILTER,
      fill: (attr) => {
        attr
          .u32(linkCreateAttr.netfilter.pf, options.family)
          .u32(linkCreateAttr.netfilter.hooknum, options.hook)
          .u32(linkCreateAttr.netfilter.priority, options.priority)
          .u32(linkCreateAttr.netfilter.flags, options.defrag === true ? 1 : 0);
      },
    }),
  );
  return new Link('netfilter', fd);
}
