import type { Btf } from '@bpfkit/btf';
import { RelocError } from '../errors.js';
import type { ProgramPlan } from '../plan.js';
import { programCode } from '../plan-code.js';
import { type CoreRelocation, coreRelocationsOf } from '../program-instruction.js';
import type { CoreTargets } from './candidates.js';
import { type CoreFixup, coreFixup, type InstructionAt, poisons } from './fixup.js';
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

/** What was decided for each CO-RE relocation of a program: the fix-ups its load writes. */
export interface RelocatedProgram {
  /** One per relocation of the program, in program order, each with the instruction it writes. */
  readonly fixups: readonly CoreFixup[];
}

/**
 * Resolves the CO-RE relocations of the programs that load (`autoload`) against a target
 * kernel, as a list of fix-ups per program that the load writes into the program's
 * instructions (`writeInstructions`); the plans are left as they are. Each record is resolved once
 * (a subprogram shared by several programs gets one decision), in `.BTF.ext` order, with
 * libbpf's candidate pruning. Programs without relocations are left out of the result.
 * No kernel call: this is the check a tool can run before loading, and what load runs.
 * @throws {@link RelocError} naming program, section and instruction for a relocation that cannot be resolved or applied.
 */
export function relocateCore(plans: readonly ProgramPlan[], options: CoreOptions): Map<string, RelocatedProgram> {
  const out = new Map<string, RelocatedProgram>();
  const loading: { plan: ProgramPlan; relocations: CoreRelocation[]; instruction: InstructionAt }[] = [];
  for (const plan of plans) {
    if (!plan.autoload) continue;
    // From the plan's bytes when it has them: no object per instruction for a few fix-ups.
    const code = programCode(plan);
    const relocations = code?.coreRelocations() ?? coreRelocationsOf(plan.instructions);
    const instruction: InstructionAt =
      code === undefined ? (at) => plan.instructions[at] : (at) => code.instruction(at);
    if (relocations.length > 0) loading.push({ plan, relocations, instruction });
  }
  if (loading.length === 0) return out;
  const object = options.object === undefined ? {} : { object: options.object };
  const first = (loading[0] as { plan: ProgramPlan }).plan;
  const { btf } = options;
  if (btf === undefined) {
    throw new RelocError('bad-ext', 'the object has CO-RE relocations but no BTF', { ...object, program: first.name });
  }
  const resolver = new CoreResolver(btf, options.targets, options.littleEndian);
  const records = new Map<number, { plan: ProgramPlan; relocation: CoreRelocation }>();
  for (const { plan, relocations } of loading) {
    for (const relocation of relocations) {
      if (!records.has(relocation.order)) records.set(relocation.order, { plan, relocation });
    }
  }
  resolver.findCandidatesOf([...records.values()].map(({ relocation }) => relocation.relo));
  const resolved = new Map<number, CoreResolution>();
  for (const order of [...records.keys()].sort((a, b) => a - b)) {
    const { plan, relocation } = records.get(order) as { plan: ProgramPlan; relocation: CoreRelocation };
    const where = { ...object, program: plan.name, section: relocation.section, insn: relocation.sectionInsn };
    resolved.set(order, resolver.resolve(relocation.relo, where));
  }
  for (const { plan, relocations, instruction } of loading) {
    const where = { ...object, program: plan.name };
    const fixups = relocations.map((r) =>
      coreFixup(instruction, r.insn, resolved.get(r.order) as CoreResolution, where),
    );
    out.set(plan.name, { fixups });
  }
  return out;
}

/** A libbpf-style log line for one fix-up. */
export function describeCoreFixup(program: string, fixup: CoreFixup): string {
  const head = `prog '${program}': insn #${fixup.insn}: CO-RE ${coreKindNames[fixup.kind] ?? fixup.kind} of ${fixup.local}`;
  if (fixup.poisoned) return `${head}: no matching target, poisoned`;
  if (poisons(fixup))
    return `${head} -> ${fixup.target}: size ${fixup.oldSize} -> ${fixup.newSize} cannot be resized, poisoned`;
  return `${head} -> ${fixup.target ?? 'none'}: ${fixup.oldValue} -> ${fixup.newValue}`;
}
