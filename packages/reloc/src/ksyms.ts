import { type Btf, skipQualifiers } from '@bpfkit/btf';
import { RelocError } from './errors.js';
import type { Instruction } from './insn/instruction.js';
import { PseudoSource } from './insn/opcodes.js';
import type { KsymReference } from './link.js';
import type { ProgramPlan } from './plan.js';

/** Where `__ksym` externs are looked up: the running kernel's BTF and symbol table. */
export interface KsymSource {
  /** The kernel's BTF (vmlinux): kfuncs and typed variables are found here by name. */
  readonly btf: Btf;
  /** Address of a kernel symbol (from `/proc/kallsyms`), `undefined` when it has none. */
  address(name: string): bigint | undefined;
}

/** How one `__ksym` extern of a program was resolved. */
export interface KsymDecision {
  /** Index of the instruction written, in the final program. */
  readonly insn: number;
  /** The extern. */
  readonly name: string;
  /** `kfunc` (BTF id of the function), `btf-id` (typed variable), `address`, or `missing` (weak, 0). */
  readonly resolution: 'kfunc' | 'btf-id' | 'address' | 'missing';
  /** The BTF id or address written (0 for `missing`). */
  readonly value: bigint;
}

/** True when the object declares `name` in `.ksyms` without a type (`extern const void x __ksym`). */
function isUntyped(objectBtf: Btf | undefined, name: string): boolean {
  const datasec = objectBtf?.byName('.ksyms', 'datasec');
  if (objectBtf === undefined || datasec?.kind !== 'datasec') return true;
  for (const entry of datasec.vars) {
    const variable = objectBtf.type(entry.type);
    if (variable.kind === 'var' && variable.name === name)
      return variable.type === 0 || skipQualifiers(objectBtf, variable.type).id === 0;
  }
  return true;
}

function resolveOne(
  ref: KsymReference,
  insns: Instruction[],
  objectBtf: Btf | undefined,
  source: KsymSource,
): KsymDecision['resolution'] | undefined {
  const insn = insns[ref.insn] as Instruction;
  const next = insns[ref.insn + 1];
  const write = (src: number, value: bigint) => {
    insn.src = src;
    insn.imm = Number(BigInt.asIntN(32, value));
    if (next !== undefined && ref.kind === 'variable') next.imm = Number(BigInt.asIntN(32, value >> 32n));
  };
  if (ref.kind === 'kfunc') {
    const func = source.btf.byName(ref.name, 'func');
    if (func === undefined) return undefined;
    insn.src = PseudoSource.KFUNC_CALL;
    insn.imm = func.id;
    insn.off = 0; // 0: the function is in vmlinux, not in a module's BTF
    return 'kfunc';
  }
  if (isUntyped(objectBtf, ref.name)) {
    const address = source.address(ref.name);
    if (address === undefined) return undefined;
    write(0, address);
    return 'address';
  }
  const variable = source.btf.byName(ref.name, 'var');
  if (variable === undefined) return undefined;
  write(PseudoSource.BTF_ID, BigInt(variable.id)); // next imm 0: the id is in vmlinux BTF
  return 'btf-id';
}

/**
 * Writes the `__ksym` externs of `plan` into its instructions, as libbpf does: kfunc calls
 * get the function's kernel BTF id, typed variables their BTF id (`BPF_PSEUDO_BTF_ID`),
 * untyped ones their address; a weak extern the kernel lacks becomes 0.
 * @throws {@link RelocError} `unresolved-extern` for a non-weak extern the kernel lacks.
 */
export function resolveKsyms(plan: ProgramPlan, objectBtf: Btf | undefined, source: KsymSource): KsymDecision[] {
  const insns = plan.instructions as Instruction[];
  return plan.ksyms.map((ref) => {
    const resolution = resolveOne(ref, insns, objectBtf, source);
    if (resolution !== undefined) {
      const insn = insns[ref.insn] as Instruction;
      const high = ref.kind === 'variable' ? BigInt((insns[ref.insn + 1] as Instruction).imm >>> 0) << 32n : 0n;
      return { insn: ref.insn, name: ref.name, resolution, value: high | BigInt(insn.imm >>> 0) };
    }
    if (!ref.weak) {
      throw new RelocError(
        'unresolved-extern',
        `the running kernel has no ${ref.kind === 'kfunc' ? 'kfunc' : 'symbol'} '${ref.name}'; declare it __weak to load without it`,
        { program: plan.name, section: plan.section, insn: ref.insn, symbol: ref.name },
      );
    }
    const insn = insns[ref.insn] as Instruction;
    if (ref.kind === 'kfunc') {
      // libbpf's convention for a missing weak kfunc: a kfunc call with id 0, which the
      // verifier accepts only in dead code (behind bpf_ksym_exists()).
      insn.src = PseudoSource.KFUNC_CALL;
      insn.imm = 0;
      insn.off = 0;
    } else {
      insn.src = 0;
      insn.imm = 0;
      (insns[ref.insn + 1] as Instruction).imm = 0;
    }
    return { insn: ref.insn, name: ref.name, resolution: 'missing', value: 0n };
  });
}
