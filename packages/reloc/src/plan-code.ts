import type { ProgramPlan } from './plan.js';
import type { ProgramCode } from './program-code.js';
import { isKsymReference, type ProgramInstruction } from './program-instruction.js';

/** What a plan made by `planPrograms` holds behind its `instructions`. */
interface PlanCode {
  readonly code: ProgramCode;
  /** The per-instruction view, once made or assigned. */
  instructions: readonly ProgramInstruction[] | undefined;
  /** True once a tool assigned `instructions`: they, not the code, are the program then. */
  replaced: boolean;
}

const planCode = Symbol('program code');
type WithCode = { [planCode]: PlanCode };

/**
 * `instructions` of a plan: made from its code on first read, assignable. One getter and
 * setter serve every plan, the state kept under a hidden symbol, so plans keep one hidden
 * class and fast properties (a getter written in an object literal puts each object in
 * dictionary mode, which slows every read of its fields).
 */
const instructionsProperty: PropertyDescriptor = {
  enumerable: true,
  configurable: true,
  get(this: WithCode): readonly ProgramInstruction[] {
    const held = this[planCode];
    held.instructions ??= held.code.instructions();
    return held.instructions;
  },
  set(this: WithCode, instructions: readonly ProgramInstruction[]): void {
    const held = this[planCode];
    held.instructions = instructions;
    held.replaced = true;
  },
};

/** Defines `plan.instructions` over `code`, made on first read. */
export function defineInstructions(plan: object, code: ProgramCode): void {
  Object.defineProperty(plan, planCode, { value: { code, instructions: undefined, replaced: false } });
  Object.defineProperty(plan, 'instructions', instructionsProperty);
}

/**
 * The instructions of `plan` as bytes with their metadata, when `planPrograms` made it and
 * nothing replaced its `instructions`; `undefined` otherwise (then read `plan.instructions`).
 * @internal for the loader, which loads from the bytes.
 */
export function programCode(plan: object): ProgramCode | undefined {
  const held = (plan as Partial<WithCode>)[planCode];
  return held === undefined || held.replaced ? undefined : held.code;
}

/** True when an instruction of `plan` carries a CO-RE relocation (found without making its instructions when it has bytes). */
export function hasCoreRelocations(plan: ProgramPlan): boolean {
  return programCode(plan)?.hasCoreRelocations() ?? plan.instructions.some((insn) => insn.core !== undefined);
}

/** True when an instruction of `plan` refers to a `__ksym` extern (found without making its instructions when it has bytes). */
export function hasKsymReferences(plan: ProgramPlan): boolean {
  return programCode(plan)?.hasKsymReferences() ?? plan.instructions.some((insn) => isKsymReference(insn.reference));
}
