import type * as btfLib from '@bpfkit/btf';
import * as reloc from '@bpfkit/reloc';
import * as uapi from '@bpfkit/uapi';

/**
 * The values of the kernel's enum `name` (e.g. `bpf_prog_type`) and their names, without its
 * end markers (`__MAX_BPF_PROG_TYPE`), or undefined when its BTF lacks the enum.
 */
function enumValues(kernelBtf: btfLib.Btf, name: string): Map<number, string> | undefined {
  const type = kernelBtf.byName(name, 'enum');
  if (type?.kind !== 'enum') return undefined;
  return new Map(type.values.filter((v) => !v.name.startsWith('__')).map((v) => [v.value, v.name]));
}

/** The helpers a kernel has, from its `enum bpf_func_id`: whether it lists an id, and the helper's C name. */
export interface KernelHelpers {
  /** True when the kernel lists helper `id` (always, when its BTF has no `enum bpf_func_id`). */
  has(id: number): boolean;
  /** `bpf_map_lookup_elem (#1)`, or `#1` for a helper the kernel does not list. */
  describe(id: number): string;
}

/** {@link KernelHelpers} of a kernel's BTF. */
export function kernelHelpers(kernelBtf: btfLib.Btf): KernelHelpers {
  const ids = enumValues(kernelBtf, 'bpf_func_id');
  return {
    has: (id) => ids === undefined || ids.has(id),
    describe: (id) => {
      const name = ids?.get(id);
      return name === undefined ? `#${id}` : `${name.replace(/^BPF_FUNC_/, 'bpf_')} (#${id})`;
    },
  };
}

/** Helper ids a program calls (plain `call imm`, not bpf-to-bpf calls or kfuncs), with the first instruction calling each. */
export function helperCalls(instructions: readonly reloc.Instruction[]): Map<number, number> {
  const calls = new Map<number, number>();
  instructions.forEach((insn, index) => {
    if (insn.code === reloc.CALL && insn.src === 0 && !calls.has(insn.imm)) calls.set(insn.imm, index);
  });
  return calls;
}

/**
 * What the running kernel's BTF says it cannot run, read without privileges: program types
 * and expected attach types its `enum bpf_prog_type` / `enum bpf_attach_type` do not list
 * (a kernel older than the section's kind), and helpers its `enum bpf_func_id` does not list.
 * An enum the BTF lacks checks nothing.
 */
export function kernelSupportProblems(plans: readonly reloc.ProgramPlan[], kernelBtf: btfLib.Btf): string[] {
  const programTypes = enumValues(kernelBtf, 'bpf_prog_type');
  const attachTypes = enumValues(kernelBtf, 'bpf_attach_type');
  const helpers = kernelHelpers(kernelBtf);
  const problems: string[] = [];
  for (const plan of plans) {
    const where = `prog '${plan.name}'`;
    const kind = plan.kind;
    if (kind !== undefined && programTypes !== undefined && !programTypes.has(kind.programType)) {
      problems.push(
        `${where}: program type ${uapi.programTypeName(kind.programType)} (${kind.programType}) of section '${plan.section}' is unknown to this kernel (its enum bpf_prog_type ends before it)`,
      );
    }
    const attach = kind?.expectedAttachType;
    if (attach !== undefined && attachTypes !== undefined && !attachTypes.has(attach)) {
      problems.push(
        `${where}: attach type ${uapi.attachTypeName(attach)} (${attach}) of section '${plan.section}' is unknown to this kernel`,
      );
    }
    for (const [helper, insn] of helperCalls(plan.instructions)) {
      if (!helpers.has(helper))
        problems.push(`${where}: insn #${insn}: calls helper #${helper}, which this kernel does not have`);
    }
  }
  return problems;
}
