import { createLink } from '@bpfkit/syscall';
import { kernelStep } from './errors.js';
import { Link } from './link.js';
import { interfaceIndex } from './netdev.js';

/** `BPF_XDP`. */
const ATTACH_XDP = 37;

/** XDP modes (`XDP_FLAGS_*`); without one the kernel picks native where the driver has it, else generic. */
export const XdpMode = {
  /** `XDP_FLAGS_SKB_MODE`: generic XDP, on the socket buffer (any driver) */
  SKB: 1 << 1,
  /** `XDP_FLAGS_DRV_MODE`: native XDP in the driver */
  DRIVER: 1 << 2,
  /** `XDP_FLAGS_HW_MODE`: offloaded to the NIC */
  HARDWARE: 1 << 3,
} as const;

/** Options for {@link attachXdp}. */
export interface XdpOptions {
  /** One of {@link XdpMode}. */
  readonly mode?: number;
}

/**
 * Attaches an `xdp` program to network interface `device` (name or index) through an XDP
 * link (Linux 5.9+): only one XDP link per interface and mode.
 * @throws {@link LinkError} `not-found` for an unknown interface, `kernel` (EBUSY when
 * another XDP program is attached).
 * @example
 * ```ts
 * import { attachXdp } from '@bpfkit/link';
 * import { BpfObject } from '@bpfkit/loader';
 *
 * using obj = BpfObject.open('xdp.bpf.o');
 * obj.load();
 * using link = attachXdp(obj.program('drop_all').fd, 'eth0'); // detached when the link closes
 * ```
 */
export function attachXdp(programFd: number, device: string | number, options: XdpOptions = {}): Link {
  const context = { kind: 'xdp', target: String(device) };
  const ifindex = interfaceIndex(device, context);
  const fd = kernelStep('create the XDP link', context, () =>
    createLink({ programFd, target: ifindex, attachType: ATTACH_XDP, flags: options.mode ?? 0 }, `xdp ${device}`),
  );
  return new Link('xdp', fd);
}
