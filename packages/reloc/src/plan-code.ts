import type { MissingExtInfo } from './ext-info.js';
import type { LinkedProgram } from './link.js';
import type { ProgramPlan } from './plan.js';
import type { ProgramCode } from './program-code.js';
import { isKsymReference, type ProgramInstruction } from './program-instruction.js';

/** What a plan made by `planPrograms` holds behind its linked fields. */
interface PlanCode {
  /** Links the program (subprograms appended, calls and references fixed): run on first need. */
  readonly link: () => LinkedProgram;
  /** The linked program, once linked. */
  linked: LinkedProgram | undefined;
  /** The subprograms appended, once read. */
  subprograms: ProgramPlan['subprograms'] | undefined;
  /** The per-instruction view, once made or assigned. */
  instructions: readonly ProgramInstruction[] | undefined;
  /** True once a tool assigned `instructions`: they, not the code, are the program then. */
  replaced: boolean;
}

const planCode = Symbol('program code');
type WithCode = { [planCode]: PlanCode };

/** The linked program behind `held`, linked now if it was not. */
function linked(held: PlanCode): LinkedProgram {
  held.linked ??= held.link();
  return held.linked;
}

/**
 * `instructions`, `subprograms` and `missingExtInfo` of a plan: linked on first read, as
 * libbpf links a program at load; `instructions` is assignable. One getter (and setter)
 * per field serves every plan, the state kept under a hidden symbol, so plans keep one
 * hidden class and fast properties (a getter written in an object literal puts each object
 * in dictionary mode, which slows every read of its fields).
 */
const linkedProperties: PropertyDescriptorMap = {
  instructions: {
    enumerable: true,
    configurable: true,
    get(this: WithCode): readonly ProgramInstruction[] {
      const held = this[planCode];
      held.instructions ??= linked(held).code.instructions();
      return held.instructions;
    },
    set(this: WithCode, instructions: readonly ProgramInstruction[]): void {
      const held = this[planCode];
      held.instructions = instructions;
      held.replaced = true;
    },
  },
  subprograms: {
    enumerable: true,
    configurable: true,
    get(this: WithCode): ProgramPlan['subprograms'] {
      const held = this[planCode];
      held.subprograms ??= linked(held)
        .pieces.slice(1)
        .map((p) => ({ name: p.function.name, start: p.base }));
      return held.subprograms;
    },
  },
  missingExtInfo: {
    enumerable: true,
    configurable: true,
    get(this: WithCode): MissingExtInfo | undefined {
      return linked(this[planCode]).missingExtInfo;
    },
  },
};

/** Defines the linked fields of `plan` (`instructions`, `subprograms`, `missingExtInfo`) over `link`, run on first read. */
export function defineLinkedFields(plan: object, link: () => LinkedProgram): void {
  Object.defineProperty(plan, planCode, {
    value: {
      link,
      linked: undefined,
      subprograms: undefined,
      instructions: undefined,
      replaced: false,
    } satisfies PlanCode,
  });
  Object.defineProperties(plan, linkedProperties);
}

/**
 * Links `plan` now if `planPrograms` made it and it is not linked yet; nothing otherwise.
 * What a load does first for each program it loads: a program that cannot link fails there.
 * @throws {@link RelocError} naming program, section and instruction for a relocation or call that cannot be applied.
 */
export function linkPlan(plan: object): void {
  const held = (plan as Partial<WithCode>)[planCode];
  if (held !== undefined) linked(held);
}

/**
 * The instructions of `plan` as bytes with their metadata, when `planPrograms` made it and
 * nothing replaced its `instructions` (linked now if it was not); `undefined` otherwise
 * (then read `plan.instructions`).
 * @throws {@link RelocError} when the program cannot link.
 * @internal for the loader, which loads from the bytes.
 */
export function programCode(plan: object): ProgramCode | undefined {
  const held = (plan as Partial<WithCode>)[planCode];
  return held === undefined || held.replaced ? undefined : linked(held).code;
}

/** True when an instruction of `plan` carries a CO-RE relocation (found without making its instructions when it has bytes). */
export function hasCoreRelocations(plan: ProgramPlan): boolean {
  return programCode(plan)?.hasCoreRelocations() ?? plan.instructions.some((insn) => insn.core !== undefined);
}

/** True when an instruction of `plan` refers to a `__ksym` extern (found without making its instructions when it has bytes). */
export function hasKsymReferences(plan: ProgramPlan): boolean {
  return programCode(plan)?.hasKsymReferences() ?? plan.instructions.some((insn) => isKsymReference(insn.reference));
}
