import { createLink, Fd } from '@bpfkit/syscall';
import { kernelStep, LinkError } from './errors.js';
import { Link } from './link.js';
import { attachWithProgAttach } from './prog-attach.js';

const { closeSync, openSync } = process.getBuiltinModule('node:fs');

/** The `attach_flags` of BPF_PROG_ATTACH on a cgroup (`BPF_F_*`). */
export const CgroupAttachFlag = {
  /** `BPF_F_ALLOW_OVERRIDE`: descendant cgroups may attach a program of this type, which then runs instead of this one for them. */
  allowOverride: 1,
  /** `BPF_F_ALLOW_MULTI`: other programs of this type may be attached here too, and descendants' programs run after this one. */
  allowMulti: 2,
  /** `BPF_F_REPLACE`: with `allowMulti`, replace one program in place (set by {@link CgroupOptions.replace}). */
  replace: 4,
} as const;

/** Options for {@link attachCgroup}. */
export interface CgroupOptions {
  /**
   * Attach with BPF_PROG_ATTACH instead of a link (kernels before 5.7, or to choose the
   * attach mode), detached with BPF_PROG_DETACH on close.
   */
  readonly legacy?: boolean;
  /**
   * With `legacy`: {@link CgroupAttachFlag} bits, one mode per cgroup and attach type.
   * None (0): the cgroup runs one program of this type, and attaching another replaces it;
   * descendants may not attach their own. A link is always attached in multi mode.
   */
  readonly flags?: number;
  /** With `legacy` and `allowMulti`: the program to replace in place (BPF_F_REPLACE). */
  readonly replace?: number;
}

/**
 * Attaches a cgroup program (`cgroup_skb/egress`, `cgroup/connect4`, `sockops`, …) to the
 * cgroup v2 directory `cgroup` for `attachType` (`BPF_CGROUP_*`) through a link, which
 * runs alongside programs others attached (the kernel's multi-program mode), or with
 * `legacy` through BPF_PROG_ATTACH with the mode in `flags` (libbpf's `bpf_prog_attach_opts`);
 * the returned {@link Link} then keeps duplicates of the program and the directory to detach.
 * @throws {@link LinkError} `needs-option` for `flags` or `replace` without `legacy`;
 * `not-found` for a directory that cannot be opened; `kernel`
 * when the kernel refuses the attach type, or (EPERM) a mode other than the cgroup's or
 * an ancestor's allows.
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
export function attachCgroup(programFd: number, cgroup: string, attachType: number, options: CgroupOptions = {}): Link {
  const context = { kind: 'cgroup', target: cgroup, path: cgroup };
  if (!options.legacy && (options.flags !== undefined || options.replace !== undefined)) {
    throw new LinkError(
      'needs-option',
      'attach flags and a program to replace apply to BPF_PROG_ATTACH; a cgroup link is always in multi-program mode',
      context,
      'add legacy: true, or leave out flags and replace (replace a link’s program with link.update())',
    );
  }
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
  if (options.legacy) {
    const replace = options.replace === undefined ? {} : { replaceProgramFd: options.replace };
    return attachWithProgAttach({
      programFd,
      target: new Fd(dir, `cgroup ${cgroup}`),
      attachType,
      flags: (options.flags ?? 0) | (options.replace === undefined ? 0 : CgroupAttachFlag.replace),
      ...replace,
      kind: 'cgroup',
      context,
      targetName: 'the cgroup',
      hint: 'one mode per cgroup and attach type: attach with the flags of the programs attached there; a descendant needs allowOverride or allowMulti on its ancestors',
    });
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
