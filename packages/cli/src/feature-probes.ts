import type * as mapsLib from '@bpfkit/maps';
import type * as reloc from '@bpfkit/reloc';
import { helperSupported, mapTypeSupported, programTypeSupported } from '@bpfkit/syscall';
import * as uapi from '@bpfkit/uapi';
import { helperCalls, type KernelHelpers } from './kernel-support.js';

/** Program types that load only with a BTF attach target: a bare probe program says nothing about them. */
const needsTarget: ReadonlySet<number> = new Set([
  uapi.ProgramType.TRACING,
  uapi.ProgramType.STRUCT_OPS,
  uapi.ProgramType.EXT,
  uapi.ProgramType.LSM,
]);

/** What the feature probes found, and a note when they could not run. */
export interface ProbeFindings {
  readonly problems: string[];
  readonly notes: string[];
}

/**
 * Asks the running kernel, by loading tiny probe programs and maps (libbpf's feature probes),
 * whether it can load each program's type, let it call each helper it calls, and create each
 * map's type; helpers the kernel's BTF does not list at all are reported from it instead. Probes need CAP_BPF: without it nothing is asked and a note says the checks were skipped.
 */
export function featureProbeProblems(
  plans: readonly reloc.ProgramPlan[],
  maps: readonly mapsLib.MapSpec[],
  helpers: KernelHelpers,
): ProbeFindings {
  // A socket filter loads on every kernel with BPF: when even that fails, the probes lack the privilege.
  if (!programTypeSupported(uapi.ProgramType.SOCKET_FILTER)) {
    return {
      problems: [],
      notes: [
        'feature probes skipped: they load probe programs, which needs CAP_BPF (run as root to check program types, helpers and map types)',
      ],
    };
  }
  const problems: string[] = [];
  for (const plan of plans) {
    const type = plan.kind?.programType;
    if (type === undefined || needsTarget.has(type)) continue;
    const typeName = uapi.programTypeName(type);
    if (!programTypeSupported(type)) {
      problems.push(`prog '${plan.name}': this kernel cannot load ${typeName} programs (feature probe)`);
      continue;
    }
    for (const [helper, insn] of helperCalls(plan.instructions)) {
      // A helper the kernel does not list at all is reported from its BTF already.
      if (helpers.has(helper) && !helperSupported(type, helper))
        problems.push(
          `prog '${plan.name}': insn #${insn}: ${typeName} programs may not call ${helpers.describe(helper)} on this kernel (feature probe)`,
        );
    }
  }
  for (const map of maps) {
    if (!mapTypeSupported(map.type))
      problems.push(`map '${map.name}': this kernel cannot create ${uapi.mapTypeName(map.type)} maps (feature probe)`);
  }
  return { problems, notes: [] };
}
