import { BpfObject } from '../src/index.js';

/** What loading an object produced, in a form that is equal for equal loads (no fds or ids). */
export interface LoadSummary {
  readonly object: string;
  /** Per program: name, kernel tag (a hash of its instructions with map references blanked) and map count. */
  readonly programs: string[];
  /** Per map: name, type and sizes as created. */
  readonly maps: string[];
}

/** Opens and loads `path`, records the result, and closes it again. */
export function loadSummary(path: string): LoadSummary {
  using object = BpfObject.open(path);
  object.load();
  return {
    object: object.name,
    programs: object.programs
      .filter((plan) => plan.autoload)
      .map((plan) => {
        const info = object.program(plan.name).info();
        return `${plan.name} ${info.tag} maps=${info.mapIds.length} insns=${info.verifiedInstructions}`;
      }),
    maps: object.maps.map((spec) => {
      const info = object.map(spec.name).info();
      return `${spec.name} type=${info.type} key=${info.keySize} value=${info.valueSize} max=${info.maxEntries}`;
    }),
  };
}
