import { type Btf, essentialName, formatCDeclaration, skipQualifiers } from '@bpfkit/btf';
import { typesCompatible } from './core/compat.js';
import { RelocError } from './errors.js';
import type { Instruction } from './insn/instruction.js';
import { PseudoSource } from './insn/opcodes.js';
import { moduleName } from './module-name.js';
import type { ProgramPlan } from './plan.js';
import { type KsymReference, ksymReferencesOf } from './program-instruction.js';
import type { InstructionPatch } from './write-instructions.js';

/** How a program refers to a module's BTF: kfunc calls by fd_array index, variables by fd. */
export interface ModuleBtfHandle {
  /** Index of the module's BTF fd in the program's fd_array (a kfunc call's `off`; never 0, which means vmlinux). */
  readonly fdArrayIndex: number;
  /** The module's BTF object fd (a typed variable's ld_imm64 high half). */
  readonly fd: number;
}

/** Where `__ksym` externs are looked up: the running kernel's BTF and symbol table. */
export interface KsymSource {
  /** The kernel's BTF (vmlinux): kfuncs and typed variables are found here by name. */
  readonly btf: Btf;
  /** Module BTFs (split on `btf`), searched in order for kfuncs and variables vmlinux lacks. */
  readonly modules?: () => readonly Btf[];
  /** The handle of a module BTF a kfunc or variable was found in; required with `modules`. */
  moduleHandle?(module: Btf): ModuleBtfHandle;
  /** Address of a kernel symbol (from `/proc/kallsyms`), `undefined` when it has none. */
  address(name: string): bigint | undefined;
  /** True when the symbol table hides every address from this user, so none can be read. */
  addressesHidden?(): boolean;
}

/** How one `__ksym` extern of a program was resolved, and the instruction the load writes for it. */
export interface KsymDecision extends InstructionPatch {
  /** The extern. */
  readonly name: string;
  /** `kfunc` (BTF id of the function), `btf-id` (typed variable), `address`, or `missing` (weak, 0). */
  readonly resolution: 'kfunc' | 'btf-id' | 'address' | 'missing';
  /** The BTF id or address written (0 for `missing`). */
  readonly value: bigint;
  /** The module whose BTF holds it (its BTF's name), when not vmlinux. */
  readonly module?: string;
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

/** The ld_imm64 pair at `at` loading a 64-bit value with its pseudo source. */
function loadOf(insns: readonly Instruction[], at: number, src: number, value: bigint): Instruction[] {
  const [first, second] = [insns[at] as Instruction, insns[at + 1] as Instruction];
  return [
    { code: first.code, dst: first.dst, src, off: first.off, imm: Number(BigInt.asIntN(32, value)) },
    {
      code: second.code,
      dst: second.dst,
      src: second.src,
      off: second.off,
      imm: Number(BigInt.asIntN(32, value >> 32n)),
    },
  ];
}

/** The call at `at` made a kfunc call to BTF id `id`; `off` 0 for vmlinux, else the module BTF's fd_array index. */
function kfuncCallOf(insns: readonly Instruction[], at: number, id: number, off = 0): Instruction[] {
  const insn = insns[at] as Instruction;
  return [{ code: insn.code, dst: insn.dst, src: PseudoSource.KFUNC_CALL, off, imm: id }];
}

/** Where `name` of `kind` is defined: vmlinux first, then each module's own types. */
function findKernelType(
  source: KsymSource,
  name: string,
  kind: 'func' | 'var',
): { id: number; module?: { btf: Btf; handle: ModuleBtfHandle } } | undefined {
  const own = source.btf.byName(name, kind);
  if (own !== undefined) return { id: own.id };
  if (source.modules === undefined || source.moduleHandle === undefined) return undefined;
  for (const btf of source.modules()) {
    const id = btf.idsByName(name, kind).find((candidate) => candidate >= btf.firstId);
    if (id !== undefined) return { id, module: { btf, handle: source.moduleHandle(btf) } };
  }
  return undefined;
}

function resolveOne(
  plan: ProgramPlan,
  ref: KsymReference & { readonly insn: number },
  insns: readonly Instruction[],
  objectBtf: Btf | undefined,
  source: KsymSource,
): Omit<KsymDecision, 'insn' | 'name'> | undefined {
  if (ref.kind === 'kfunc') {
    // As libbpf: `name___flavor` names the kfunc `name`, taken only if the prototypes agree.
    const found = findKernelType(source, essentialName(ref.name), 'func');
    if (found === undefined || !prototypeFits(plan, ref, objectBtf, found, source)) return undefined;
    const replacement = kfuncCallOf(insns, ref.insn, found.id, found.module?.handle.fdArrayIndex ?? 0);
    return { resolution: 'kfunc', value: BigInt(found.id), replacement, ...moduleOf(found) };
  }
  if (objectBtf?.byName(ref.name, 'func') !== undefined) {
    // A kfunc's address (`bpf_ksym_exists(kfunc)`): its BTF id, which the verifier turns into the address.
    const found = findKernelType(source, essentialName(ref.name), 'func');
    if (found === undefined || !prototypeFits(plan, ref, objectBtf, found, source)) return undefined;
    const btfFd = BigInt(found.module?.handle.fd ?? 0);
    const replacement = loadOf(insns, ref.insn, PseudoSource.BTF_ID, BigInt(found.id) | (btfFd << 32n));
    return { resolution: 'btf-id', value: BigInt(found.id), replacement, ...moduleOf(found) };
  }
  if (isUntyped(objectBtf, ref.name)) {
    const address = source.address(ref.name);
    if (address === undefined) return undefined;
    return { resolution: 'address', value: address, replacement: loadOf(insns, ref.insn, 0, address) };
  }
  const found = findKernelType(source, ref.name, 'var');
  if (found === undefined) return undefined;
  // The high half names the BTF: 0 for vmlinux, else the module BTF's fd.
  const btfFd = BigInt(found.module?.handle.fd ?? 0);
  const replacement = loadOf(insns, ref.insn, PseudoSource.BTF_ID, BigInt(found.id) | (btfFd << 32n));
  return { resolution: 'btf-id', value: BigInt(found.id), replacement, ...moduleOf(found) };
}

/**
 * True when the object's declaration of kfunc `ref` has a prototype compatible with the
 * kernel's (or declares none); false for a weak one that does not, which then stays
 * unresolved, as in libbpf.
 * @throws {@link RelocError} `kfunc-mismatch` for a strong one that does not, with both prototypes.
 */
function prototypeFits(
  plan: ProgramPlan,
  ref: KsymReference & { readonly insn: number },
  objectBtf: Btf | undefined,
  found: { id: number; module?: { btf: Btf } },
  source: KsymSource,
): boolean {
  const local = objectBtf?.byName(ref.name, 'func');
  if (objectBtf === undefined || local?.kind !== 'func') return true;
  const kernel = found.module?.btf ?? source.btf;
  const kernelFunc = kernel.type(found.id);
  if (kernelFunc.kind !== 'func') return false;
  if (typesCompatible(objectBtf, local.type, kernel, kernelFunc.type)) return true;
  if (ref.weak) return false;
  const where = found.module === undefined ? 'vmlinux' : `module '${moduleName(found.module.btf)}'`;
  throw new RelocError(
    'kfunc-mismatch',
    `kfunc '${ref.name}' is declared with a prototype that does not match the one in ${where}`,
    {
      program: plan.name,
      section: plan.section,
      insn: ref.insn,
      symbol: ref.name,
      expected: formatCDeclaration(kernel, kernelFunc.type, kernelFunc.name),
      actual: formatCDeclaration(objectBtf, local.type, ref.name),
    },
    {
      hint: "declare it as the running kernel does (its vmlinux.h, or 'bpftool btf dump file /sys/kernel/btf/vmlinux format c'), or __weak to load without it",
    },
  );
}

function moduleOf(found: { module?: { btf: Btf } }): { module?: string } {
  return found.module === undefined ? {} : { module: moduleName(found.module.btf) };
}

/**
 * Resolves the `__ksym` externs of `plan` as libbpf does, each to the instruction the load
 * writes for it (`writeInstructions`): kfunc calls get the function's kernel BTF id, typed
 * variables their BTF id (`BPF_PSEUDO_BTF_ID`), untyped ones their address; a weak extern
 * the kernel lacks becomes 0, and so does a weak kfunc declared with another prototype than
 * the kernel's. The plan is left as it is.
 * @throws {@link RelocError} `unresolved-extern` for a non-weak extern the kernel lacks,
 * `kfunc-mismatch` for a non-weak kfunc declared with another prototype than the kernel's.
 */
export function resolveKsyms(plan: ProgramPlan, objectBtf: Btf | undefined, source: KsymSource): KsymDecision[] {
  const insns = plan.instructions;
  return ksymReferencesOf(insns).map((ref) => {
    const resolved = resolveOne(plan, ref, insns, objectBtf, source);
    if (resolved !== undefined) return { insn: ref.insn, name: ref.name, ...resolved };
    if (!ref.weak) {
      const hidden = ref.kind !== 'kfunc' && isUntyped(objectBtf, ref.name) && source.addressesHidden?.() === true;
      throw new RelocError(
        'unresolved-extern',
        hidden
          ? `the address of '${ref.name}' cannot be read: /proc/kallsyms shows this user only zero addresses (kernel.kptr_restrict, kernel.perf_event_paranoid, no CAP_SYSLOG); load as root or relax those settings`
          : `the running kernel has no ${ref.kind === 'kfunc' ? 'kfunc' : 'symbol'} '${ref.name}'; declare it __weak to load without it`,
        { program: plan.name, section: plan.section, insn: ref.insn, symbol: ref.name },
      );
    }
    // libbpf's convention for a missing weak kfunc is a call to id 0, which the verifier
    // accepts only in dead code (behind bpf_ksym_exists()); a missing variable loads 0.
    const replacement = ref.kind === 'kfunc' ? kfuncCallOf(insns, ref.insn, 0) : loadOf(insns, ref.insn, 0, 0n);
    return { insn: ref.insn, name: ref.name, resolution: 'missing', value: 0n, replacement };
  });
}
