import type { Btf } from '@bpfkit/btf';
import { RelocError } from '../errors.js';
import type { Instruction } from '../insn/instruction.js';
import type { ProgramPlan } from '../plan.js';
import type { CoreTargets } from './candidates.js';
import { applyCoreFixups, type CoreFixup, poisons } from './fixup.js';
import { coreKindNames } from './kinds.js';
import { type CoreResolution, CoreResolver } from './resolve.js';

/** What {@link relocateCore} resolves against. */
export interface CoreOptions {
  /** The object's own BTF (the local side). */
  readonly btf: Btf | undefined;
  /** The target kernel's BTF, with module BTFs to fall back on. */
  readonly targets: CoreTargets;
  /** Byte order of the object (bitfield shifts depend on it). */
  readonly littleEndian: boolean;
  /** The object's name, for errors. */
  readonly object?: string;
}

/** A program's instructions with CO-RE applied, and what was decided for each relocation. */
export interface RelocatedProgram {
  /** A copy of the plan's instructions with every fix-up applied. */
  readonly instructions: Instruction[];
  /** One per relocation of the program, in `.BTF.ext` order. */
  readonly fixups: readonly CoreFixup[];
}

/**
 * Resolves the CO-RE relocations of the programs that load (`autoload`) against a target
 * kernel and applies them to copies of their instructions. Each record is resolved once
 * (a subprogram shared by several programs gets one decision), in `.BTF.ext` order, with
 * libbpf's candidate pruning. Programs without relocations are left out of the result.
 * No kernel call: this is the check a tool can run before loading, and what load runs.
 * @throws {@link RelocError} naming program, section and instruction for a relocation that cannot be resolved or applied.
 */
export function relocateCore(plans: readonly ProgramPlan[], options: CoreOptions): Map<string, RelocatedProgram> {
  const loading = plans.filter((p) => p.autoload && p.core.length > 0);
  const out = new Map<string, RelocatedProgram>();
  if (loading.length === 0) return out;
  const object = options.object === undefined ? {} : { object: options.object };
  const first = loading[0] as ProgramPlan;
  const { btf } = options;
  if (btf === undefined) {
    throw new RelocError('bad-ext', 'the object has CO-RE relocations but no BTF', { ...object, program: first.name });
  }
  const resolver = new CoreResolver(btf, options.targets, options.littleEndian);
  const records = new Map<number, { plan: ProgramPlan; relocation: ProgramPlan['core'][number] }>();
  for (const plan of loading) {
    for (const relocation of plan.core) {
      if (!records.has(relocation.order)) records.set(relocation.order, { plan, relocation });
    }
  }
  const resolved = new Map<number, CoreResolution>();
  for (const order of [...records.keys()].sort((a, b) => a - b)) {
    const { plan, relocation } = records.get(order) as { plan: ProgramPlan; relocation: ProgramPlan['core'][number] };
    const where = { ...object, program: plan.name, section: relocation.section, insn: relocation.sectionInsn };
    resolved.set(order, resolver.resolve(relocation.relo, where));
  }
  for (const plan of loading) {
    const fixups = plan.core.map((r) => ({ ...(resolved.get(r.order) as CoreResolution), insn: r.insn }));
    const instructions = applyCoreFixups(plan.instructions, fixups, { ...object, program: plan.name });
    out.set(plan.name, { instructions, fixups });
  }
  return out;
}

/** A libbpf-style log line for one applied fix-up. */
export function describeCoreFixup(program: string, fixup: CoreFixup, instruction?: Instruction): string {
  const head = `prog '${program}': insn #${fixup.insn}: CO-RE ${coreKindNames[fixup.kind] ?? fixup.kind} of ${fixup.local}`;
  if (fixup.poisoned) return `${head}: no matching target, poisoned`;
  if (poisons(fixup, instruction))
    return `${head} -> ${fixup.target}: size ${fixup.oldSize} -> ${fixup.newSize} cannot be resized, poisoned`;
  return `${head} -> ${fixup.target ?? 'none'}: ${fixup.oldValue} -> ${fixup.newValue}`;
}
