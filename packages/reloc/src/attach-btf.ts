import type { Btf } from '@bpfkit/btf';
import { AttachType, ProgramType } from '@bpfkit/uapi';
import { RelocError } from './errors.js';
import { moduleName } from './module-name.js';
import type { ProgramPlan } from './plan.js';

/**
 * The kernel BTF type a program's attach target names, by libbpf's conventions: a BTF
 * tracepoint `x` is the typedef `btf_trace_x`, an LSM hook `x` the function `bpf_lsm_x`, an
 * iterator `x` the function `bpf_iter_x`, anything else (fentry, fexit, fmod_ret, freplace)
 * the function `x` itself.
 */
export interface AttachBtfName {
  /** The BTF type's name, prefix included. */
  readonly name: string;
  /** Its kind. */
  readonly kind: 'typedef' | 'func';
  /** From a `module:name` target: the only BTF searched (`vmlinux` for the kernel's own). */
  readonly module: string | undefined;
}

/** Where an attach target was found: its BTF id and, when not in vmlinux, the module BTF holding it. */
export interface AttachBtf {
  /** `attach_btf_id`. */
  readonly id: number;
  /** The module BTF (split on vmlinux) whose fd goes in `attach_btf_obj_fd`; `undefined` for vmlinux. */
  readonly module: Btf | undefined;
}

/** Kernel BTFs searched for attach targets: vmlinux first, then each module's own types. */
export interface AttachBtfSource {
  /** The running kernel's BTF. */
  readonly kernel: Btf;
  /** Module BTFs (split on `kernel`), read only when vmlinux lacks the target. */
  readonly modules?: () => readonly Btf[];
}

/**
 * True when the kernel needs a BTF id to load programs of this plan's kind (libbpf's
 * BTF-attach sections: `tp_btf`, `fentry`, `fexit`, `fmod_ret`, `freplace`, `lsm`,
 * `lsm_cgroup`, `iter` and their sleepable variants).
 */
export function needsAttachBtf(plan: ProgramPlan): boolean {
  const type = plan.kind?.programType;
  return type === ProgramType.TRACING || type === ProgramType.LSM || type === ProgramType.EXT;
}

/** The BTF type `target` names for a program of `expectedAttachType`; `module:name` limits the search to one BTF. */
export function attachBtfName(expectedAttachType: number | undefined, target: string): AttachBtfName {
  const colon = target.indexOf(':');
  const module = colon < 0 ? undefined : target.slice(0, colon);
  const name = colon < 0 ? target : target.slice(colon + 1);
  switch (expectedAttachType) {
    case AttachType.TRACE_RAW_TP:
      return { name: `btf_trace_${name}`, kind: 'typedef', module };
    case AttachType.LSM_MAC:
    case AttachType.LSM_CGROUP:
      return { name: `bpf_lsm_${name}`, kind: 'func', module };
    case AttachType.TRACE_ITER:
      return { name: `bpf_iter_${name}`, kind: 'func', module };
    default:
      return { name, kind: 'func', module };
  }
}

function where(plan: ProgramPlan, object: string | undefined) {
  return { ...(object === undefined ? {} : { object }), program: plan.name, section: plan.section };
}

/** The plan's attach target, or an error saying how to give one (libbpf refuses a bare `fentry` the same way). */
function requireTarget(plan: ProgramPlan, object: string | undefined): string {
  if (plan.attachTarget !== '') return plan.attachTarget;
  throw new RelocError(
    'not-found',
    `section '${plan.section}' names no attach target; set the program's attachTarget before load`,
    where(plan, object),
  );
}

/**
 * The kernel BTF type a BTF-attach program loads against (see {@link attachBtfName}), in
 * vmlinux, else in the first module BTF defining it, as libbpf searches. The plan's
 * `attachTarget` (from the section name, or set by the user) names it.
 * @throws {@link RelocError} `not-found` when no target is given or no kernel BTF defines it.
 */
export function resolveAttachBtf(plan: ProgramPlan, source: AttachBtfSource, object?: string): AttachBtf {
  const wanted = attachBtfName(plan.kind?.expectedAttachType, requireTarget(plan, object));
  if (wanted.module === undefined || wanted.module === 'vmlinux') {
    const own = source.kernel.byName(wanted.name, wanted.kind);
    if (own !== undefined) return { id: own.id, module: undefined };
  }
  if (wanted.module !== 'vmlinux') {
    for (const btf of source.modules?.() ?? []) {
      if (wanted.module !== undefined && moduleName(btf) !== wanted.module) continue;
      const id = btf.idsByName(wanted.name, wanted.kind).find((candidate) => candidate >= btf.firstId);
      if (id !== undefined) return { id, module: btf };
    }
  }
  throw new RelocError(
    'not-found',
    `attach target '${plan.attachTarget}': the running kernel's BTF has no ${wanted.kind} '${wanted.name}'${wanted.module === undefined ? '' : ` in '${wanted.module}'`}`,
    { ...where(plan, object), symbol: wanted.name },
  );
}

/**
 * The fd of the loaded BPF program the plan attaches to (`attachProgramFd`), or `undefined`
 * when it attaches to the kernel.
 * @throws {@link RelocError} `not-found` for a `freplace` program without one.
 */
export function attachProgramFd(plan: ProgramPlan, object?: string): number | undefined {
  if (plan.attachProgramFd !== undefined) return plan.attachProgramFd;
  if (plan.kind?.programType !== ProgramType.EXT) return undefined;
  throw new RelocError(
    'not-found',
    'a freplace program replaces a function of a loaded BPF program: set its attachProgramFd (and attachTarget) before load',
    where(plan, object),
  );
}

/**
 * The function of a loaded BPF program a `freplace` program (or a tracing program aimed at a
 * BPF program) attaches to: the FUNC named by the plan's `attachTarget` in that program's BTF.
 * @throws {@link RelocError} `not-found` when the target program's BTF has no such function.
 */
export function resolveAttachProgramBtf(plan: ProgramPlan, targetBtf: Btf | undefined, object?: string): number {
  const name = requireTarget(plan, object);
  const found = targetBtf?.byName(name, 'func');
  if (found !== undefined) return found.id;
  throw new RelocError(
    'not-found',
    targetBtf === undefined
      ? `attach target '${name}': the target program was loaded without BTF`
      : `attach target '${name}': the target program's BTF has no function '${name}'`,
    { ...where(plan, object), symbol: name },
  );
}
