import { createLink, linkCreateAttr } from '@bpfkit/syscall';
import { kernelStep } from './errors.js';
import { Link } from './link.js';

/** Options for {@link attachTracing}. */
export interface TracingOptions {
  /** The value `bpf_get_attach_cookie()` returns in the program. */
  readonly cookie?: bigint;
  /** freplace: the fd of the program whose function is replaced, and that function's BTF id. */
  readonly targetProgramFd?: number;
  /** The replaced function's BTF type id in that program's BTF. */
  readonly targetBtfId?: number;
}

/**
 * Attaches a BTF-typed program whose target was fixed at load (`tp_btf`, `fentry`, `fexit`,
 * `fmod_ret`, `lsm`, `freplace`) through BPF_LINK_CREATE with its `attachType`
 * (`BPF_TRACE_RAW_TP`, `BPF_TRACE_FENTRY`, …; 0 for freplace).
 * @throws {@link LinkError} `kernel` when refused.
 * @example
 * ```ts
 * import { attachTracing } from '@bpfkit/link';
 * import { BpfObject } from '@bpfkit/loader';
 * import { AttachType } from '@bpfkit/uapi';
 *
 * using obj = BpfObject.open('tracing.bpf.o');
 * obj.load(); // SEC("tp_btf/sched_switch"): the target is fixed at load
 * using link = attachTracing(obj.program('on_switch').fd, AttachType.TRACE_RAW_TP, { cookie: 7n });
 * ```
 */
export function attachTracing(programFd: number, attachType: number, options: TracingOptions = {}): Link {
  const kind = 'tracing';
  const fd = kernelStep('create the tracing link', { kind }, () =>
    createLink({
      programFd,
      target: options.targetProgramFd ?? 0,
      attachType,
      ...(options.targetBtfId === undefined ? {} : { targetBtfId: options.targetBtfId }),
      // tracing.cookie sits after tracing.target_btf_id, not where perf links keep theirs.
      ...(options.cookie === undefined
        ? {}
        : { fill: (attr) => attr.u64(linkCreateAttr.tracing.cookie, options.cookie ?? 0n) }),
    }),
  );
  return new Link(kind, fd);
}
