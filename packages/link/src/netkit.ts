import { createLink } from '@bpfkit/syscall';
import { kernelStep, LinkError } from './errors.js';
import { Link } from './link.js';
import { interfaceIndex } from './netdev.js';

/** `BPF_NETKIT_PRIMARY` and `BPF_NETKIT_PEER`: the netkit device's own side, or its peer's. */
export const NetkitSide = {
  /** `BPF_NETKIT_PRIMARY`: traffic of the netkit device in the host's namespace. */
  primary: 54,
  /** `BPF_NETKIT_PEER`: traffic of its peer device (in the container's namespace). */
  peer: 55,
} as const;

/**
 * Attaches a `netkit/primary` or `netkit/peer` program to netkit device `device` through a
 * netkit link (Linux 6.7+), as `bpf_program__attach_netkit` does.
 * @throws {@link LinkError} `not-found` for an unknown interface; `kernel` when refused
 * (EINVAL also when the kernel has no netkit or the device is not a netkit device).
 */
export function attachNetkit(programFd: number, device: string | number, side: keyof typeof NetkitSide): Link {
  const context = { kind: `netkit/${side}`, target: String(device) };
  const ifindex = interfaceIndex(device, context);
  try {
    const fd = kernelStep('create the netkit link', context, () =>
      createLink({ programFd, target: ifindex, attachType: NetkitSide[side] }, `netkit ${side} ${device}`),
    );
    return new Link(`netkit/${side}`, fd);
  } catch (error) {
    if (!LinkError.is(error) || error.context.errno !== 'EINVAL') throw error;
    throw new LinkError(
      error.code,
      error.problem,
      error.context,
      'the interface must be a netkit device (ip link add … type netkit) on a kernel built with CONFIG_NETKIT (6.7+), and the program a netkit program',
      { cause: error.cause, causeInMessage: false },
    );
  }
}
