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

/** Writes a 64-bit ld_imm64 value (and its pseudo source) across the instruction pair at `at`. */
function writeLoad(insns: Instruction[], at: number, src: number, value: bigint): void {
  const [first, second] = [insns[at] as Instruction, insns[at + 1] as Instruction];
  first.src = src;
  first.imm = Number(BigInt.asIntN(32, value));
  second.imm = Number(BigInt.asIntN(32, value >> 32n));
}

/** Writes a kfunc call to BTF id `id` of vmlinux (offset 0: not in a module's BTF). */
function writeKfuncCall(insns: Instruction[], at: number, id: number): void {
  const insn = insns[at] as Instruction;
  insn.src = PseudoSource.KFUNC_CALL;
  insn.imm = id;
  insn.off = 0;
}

function resolveOne(
  ref: KsymReference,
  insns: Instruction[],
  objectBtf: Btf | undefined,
  source: KsymSource,
): Omit<KsymDecision, 'insn' | 'name'> | undefined {
  if (ref.kind === 'kfunc') {
    const func = source.btf.byName(ref.name, 'func');
    if (func === undefined) return undefined;
    writeKfuncCall(insns, ref.insn, func.id);
    return { resolution: 'kfunc', value: BigInt(func.id) };
  }
  if (isUntyped(objectBtf, ref.name)) {
    const address = source.address(ref.name);
    if (address === undefined) return undefined;
    writeLoad(insns, ref.insn, 0, address);
    return { resolution: 'address', value: address };
  }
  const variable = source.btf.byName(ref.name, 'var');
  if (variable === undefined) return undefined;
  writeLoad(insns, ref.insn, PseudoSource.BTF_ID, BigInt(variable.id)); // high half 0: vmlinux BTF
  return { resolution: 'btf-id', value: BigInt(variable.id) };
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
    const resolved = resolveOne(ref, insns, objectBtf, source);
    if (resolved !== undefined) return { insn: ref.insn, name: ref.name, ...resolved };
    if (!ref.weak) {
      throw new RelocError(
        'unresolved-extern',
        `the running kernel has no ${ref.kind === 'kfunc' ? 'kfunc' : 'symbol'} '${ref.name}'; declare it __weak to load without it`,
        { program: plan.name, section: plan.section, insn: ref.insn, symbol: ref.name },
      );
    }
    // libbpf's convention for a missing weak kfunc is a call to id 0, which the verifier
    // accepts only in dead code (behind bpf_ksym_exists()); a missing variable loads 0.
    if (ref.kind === 'kfunc') writeKfuncCall(insns, ref.insn, 0);
    else writeLoad(insns, ref.insn, 0, 0n);
    return { insn: ref.insn, name: ref.name, resolution: 'missing', value: 0n };
  });
}
