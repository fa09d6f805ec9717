import type { MissingExtInfo } from './ext-info.js';
import type { LinkedProgram } from './link.js';
import type { ProgramPlan } from './plan.js';
import type { ProgramCode } from './program-code.js';
import { isKsymReference, type ProgramInstruction } from './program-instruction.js';

/** The fields of a plan that are known without linking. */
export type UnlinkedFields = Omit<ProgramPlan, 'instructions' | 'subprograms' | 'missingExtInfo'>;

/**
 * A plan made by `planPrograms`: its `instructions`, `subprograms` and `missingExtInfo` are
 * linked on first read, as libbpf links a program at load; `instructions` is assignable.
 * They are getters of the class, not own properties, so plans cost no property definition
 * each (a copy spread from a plan, `{ ...plan }`, lacks them).
 */
class PlannedProgram {
  /** Links the program (subprograms appended, calls and references fixed). */
  readonly #link: () => LinkedProgram;
  /** The linked program, once linked. */
  #linked: LinkedProgram | undefined;
  /** The subprograms appended, once read. */
  #subprograms: ProgramPlan['subprograms'] | undefined;
  /** The per-instruction view, once made or assigned. */
  #instructions: readonly ProgramInstruction[] | undefined;
  /** True once a tool assigned `instructions`: they, not the code, are the program then. */
  #replaced = false;

  constructor(fields: UnlinkedFields, link: () => LinkedProgram) {
    Object.assign(this, fields);
    this.#link = link;
  }

  /** The linked program, linked now if it was not. */
  linked(): LinkedProgram {
    this.#linked ??= this.#link();
    return this.#linked;
  }

  /** The program as bytes with metadata; `undefined` once a tool replaced `instructions`. */
  code(): ProgramCode | undefined {
    return this.#replaced ? undefined : this.linked().code;
  }

  get instructions(): readonly ProgramInstruction[] {
    this.#instructions ??= this.linked().code.instructions();
    return this.#instructions;
  }

  set instructions(instructions: readonly ProgramInstruction[]) {
    this.#instructions = instructions;
    this.#replaced = true;
  }

  get subprograms(): ProgramPlan['subprograms'] {
    this.#subprograms ??= this.linked()
      .pieces.slice(1)
      .map((p) => ({ name: p.function.name, start: p.base }));
    return this.#subprograms;
  }

  get missingExtInfo(): MissingExtInfo | undefined {
    return this.linked().missingExtInfo;
  }
}

/** A plan of `fields` whose linked fields (`instructions`, `subprograms`, `missingExtInfo`) come from `link`, run on first read. */
export function plannedProgram(fields: UnlinkedFields, link: () => LinkedProgram): ProgramPlan {
  return new PlannedProgram(fields, link) as PlannedProgram & UnlinkedFields;
}

/**
 * Links `plan` now if `planPrograms` made it and it is not linked yet; nothing otherwise.
 * What a load does first for each program it loads: a program that cannot link fails there.
 * @throws {@link RelocError} naming program, section and instruction for a relocation or call that cannot be applied.
 */
export function linkPlan(plan: object): void {
  if (plan instanceof PlannedProgram) plan.linked();
}

/**
 * The instructions of `plan` as bytes with their metadata, when `planPrograms` made it and
 * nothing replaced its `instructions` (linked now if it was not); `undefined` otherwise
 * (then read `plan.instructions`).
 * @throws {@link RelocError} when the program cannot link.
 * @internal for the loader, which loads from the bytes.
 */
export function programCode(plan: object): ProgramCode | undefined {
  return plan instanceof PlannedProgram ? plan.code() : undefined;
}

/** True when an instruction of `plan` carries a CO-RE relocation (found without making its instructions when it has bytes). */
export function hasCoreRelocations(plan: ProgramPlan): boolean {
  return programCode(plan)?.hasCoreRelocations() ?? plan.instructions.some((insn) => insn.core !== undefined);
}

/** True when an instruction of `plan` refers to a `__ksym` extern (found without making its instructions when it has bytes). */
export function hasKsymReferences(plan: ProgramPlan): boolean {
  return programCode(plan)?.hasKsymReferences() ?? plan.instructions.some((insn) => isKsymReference(insn.reference));
}
