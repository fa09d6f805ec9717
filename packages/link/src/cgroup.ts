import { closeSync, openSync } from 'node:fs';
import { createLink } from '@bpfkit/syscall';
import { kernelStep, LinkError } from './errors.js';
import { Link } from './link.js';

/**
 * Attaches a cgroup program (`cgroup_skb/egress`, `cgroup/connect4`, `sockops`, …) to the
 * cgroup v2 directory `cgroup` for `attachType` (`BPF_CGROUP_*`) through a link, which
 * runs alongside programs others attached (the kernel's multi-program mode).
 * @throws {@link LinkError} `not-found` for a directory that cannot be opened, `kernel`
 * when the kernel refuses the attach type.
 * @example
 * ```ts
 * import { attachCgroup } from '@bpfkit/link';
 * import { BpfObject } from '@bpfkit/loader';
 * import { AttachType } from '@bpfkit/uapi';
 *
 * using obj = BpfObject.open('cgroup.bpf.o');
 * obj.load();
 * const egress = obj.program('count_egress').fd;
 * using link = attachCgroup(egress, '/sys/fs/cgroup/my.slice', AttachType.CGROUP_INET_EGRESS);
 * ```
 */
export function attachCgroup(programFd: number, cgroup: string, attachType: number): Link {
  const context = { kind: 'cgroup', target: cgroup, path: cgroup };
  let dir: number;
  try {
    dir = openSync(cgroup, 'r');
  } catch (error) {
    throw new LinkError(
      'not-found',
      `cannot open the cgroup directory: ${(error as NodeJS.ErrnoException).code}`,
      context,
      'give a cgroup v2 directory such as /sys/fs/cgroup/<name>',
      { cause: error, causeInMessage: false },
    );
  }
  try {
    const fd = kernelStep('create the cgroup link', context, () =>
      createLink({ programFd, target: dir, attachType }, `cgroup ${cgroup}`),
    );
    return new Link('cgroup', fd);
  } finally {
    closeSync(dir);
  }
}
