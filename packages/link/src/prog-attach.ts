import { attachProgram, detachProgram, duplicateFd, type Fd } from '@bpfkit/syscall';
import { kernelStep, LinkError, type LinkErrorContext } from './errors.js';
import { Link } from './link.js';

/** What {@link attachWithProgAttach} attaches, where, and how its failures read. */
export interface ProgAttachPlan {
  /** The program to attach: the attachment keeps a duplicate, so the caller may close it first. */
  readonly programFd: number;
  /** The attach point, owned by the attachment and closed with it; `undefined`: target fd 0 (the caller's netns). */
  readonly target: Fd | undefined;
  /** `BPF_*` attach type. */
  readonly attachType: number;
  /** `attach_flags` (`BPF_F_ALLOW_OVERRIDE`, `BPF_F_ALLOW_MULTI`, `BPF_F_REPLACE`). */
  readonly flags?: number;
  /** With `BPF_F_REPLACE`: the program to replace. */
  readonly replaceProgramFd?: number;
  /** The kind of the returned {@link Link} and of errors. */
  readonly kind: string;
  /** What the errors say about the attachment. */
  readonly context: LinkErrorContext;
  /** What the target is, in step names (`the sockmap`, `the cgroup`). */
  readonly targetName: string;
  /** A hint for a refused attach, replacing the syscall error's. */
  readonly hint?: string;
}

/**
 * Attaches with BPF_PROG_ATTACH (the form before links), returning a {@link Link} with no
 * link fd that owns duplicates of the program and the target and detaches on close with
 * BPF_PROG_DETACH through them, so closing the caller's fds first changes nothing. A detach
 * finding the program gone (ENOENT: replaced, or detached by others) is not an error. On a
 * refusal both duplicates are closed.
 * @throws {@link LinkError} `kernel` (with `hint` when given) when the kernel refuses.
 */
export function attachWithProgAttach(plan: ProgAttachPlan): Link {
  let program: Fd | undefined;
  try {
    program = kernelStep('keep the program', plan.context, () => duplicateFd(plan.programFd, `${plan.kind} program`));
    const programFd = program.fd;
    kernelStep(
      `attach to ${plan.targetName}`,
      plan.context,
      () =>
        attachProgram({
          targetFd: plan.target?.fd ?? 0,
          programFd,
          attachType: plan.attachType,
          ...(plan.flags === undefined ? {} : { flags: plan.flags }),
          ...(plan.replaceProgramFd === undefined ? {} : { replaceProgramFd: plan.replaceProgramFd }),
        }),
      plan.hint,
    );
  } catch (error) {
    program?.close();
    plan.target?.close();
    throw error;
  }
  const kept = program;
  return new Link(plan.kind, undefined, [], () => {
    try {
      kernelStep(`detach from ${plan.targetName}`, plan.context, () =>
        detachProgram(plan.target?.fd ?? 0, kept.fd, plan.attachType),
      );
    } catch (error) {
      // Replaced, or detached by others: nothing of ours is attached.
      if (!LinkError.is(error) || error.context.errno !== 'ENOENT') throw error;
    } finally {
      kept.close();
      plan.target?.close();
    }
  });
}
