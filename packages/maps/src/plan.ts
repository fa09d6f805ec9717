import { isMapInMapType, MapType, mapTypeName } from '@bpfkit/uapi';
import type { MapSlot, MapSpec } from './spec.js';

/** One step of creating an object's maps, in the order the loader must run them. */
export type CreationStep =
  | {
      /** Create the inner-map prototype of `map` (passed as `inner_map_fd`). */
      readonly kind: 'create-prototype';
      /** The map it applies to. */
      readonly map: string;
    }
  | {
      /** Create `map` with MAP_CREATE. */
      readonly kind: 'create-map';
      /** The map it applies to. */
      readonly map: string;
    }
  | {
      /** Close the prototype of `map` now that the outer map exists. */
      readonly kind: 'close-prototype';
      /** The map it applies to. */
      readonly map: string;
    }
  | {
      /** Write a global-data map's initial value at key 0. */
      readonly kind: 'write-initial-value';
      /** The map it applies to. */
      readonly map: string;
    }
  | {
      /** BPF_MAP_FREEZE a read-only global-data map. */
      readonly kind: 'freeze';
      /** The map it applies to. */
      readonly map: string;
    }
  | {
      /** Fill a map-in-map's slots with map fds, in one batch where the kernel allows. */
      readonly kind: 'fill-slots';
      /** The map it applies to. */
      readonly map: string;
      /** The slots to fill, in order. */
      readonly slots: readonly MapSlot[];
    }
  | {
      /** Fill a prog array's slots with program fds (after the programs load). */
      readonly kind: 'fill-program-slots';
      /** The map it applies to. */
      readonly map: string;
      /** The slots to fill, in order. */
      readonly slots: readonly MapSlot[];
    };

/** The ordered steps: `maps` before programs load, `afterPrograms` once they have. */
export interface CreationPlan {
  /** Map creation, initial values, freezes and map-in-map slots. */
  readonly maps: readonly CreationStep[];
  /** Prog-array slots. */
  readonly afterPrograms: readonly CreationStep[];
}

/**
 * Orders map creation so that every slot target exists before the map that holds it: each
 * map-in-map gets its prototype created, used and closed around its own creation, and its
 * slots filled right after; global data is written and then frozen; prog-array slots wait
 * for the programs.
 */
export function planCreation(maps: readonly MapSpec[]): CreationPlan {
  const byName = new Map(maps.map((m) => [m.name, m]));
  const steps: CreationStep[] = [];
  const afterPrograms: CreationStep[] = [];
  const done = new Set<string>();
  const visiting = new Set<string>();
  const visit = (spec: MapSpec): void => {
    if (done.has(spec.name) || visiting.has(spec.name)) return;
    visiting.add(spec.name);
    if (isMapInMapType(spec.type)) {
      for (const slot of spec.slots) {
        const target = byName.get(slot.target);
        if (target !== undefined) visit(target);
      }
    }
    if (spec.inner !== undefined) steps.push({ kind: 'create-prototype', map: spec.name });
    steps.push({ kind: 'create-map', map: spec.name });
    if (spec.inner !== undefined) steps.push({ kind: 'close-prototype', map: spec.name });
    if (spec.initialData !== undefined) steps.push({ kind: 'write-initial-value', map: spec.name });
    if (spec.freeze) steps.push({ kind: 'freeze', map: spec.name });
    if (spec.slots.length > 0) {
      if (spec.type === MapType.PROG_ARRAY)
        afterPrograms.push({ kind: 'fill-program-slots', map: spec.name, slots: spec.slots });
      else steps.push({ kind: 'fill-slots', map: spec.name, slots: spec.slots });
    }
    visiting.delete(spec.name);
    done.add(spec.name);
  };
  for (const spec of maps) visit(spec);
  return { maps: steps, afterPrograms };
}

function shape(spec: MapSpec): string {
  return `${mapTypeName(spec.type)} key_size ${spec.keySize} value_size ${spec.valueSize} max_entries ${spec.maxEntries}${
    spec.flags !== 0 ? ` flags 0x${spec.flags.toString(16)}` : ''
  }`;
}

/** The step as libbpf-style log lines (`map 'outer_hash': slot [0] set to map 'inner_map2'`). */
export function describeStep(step: CreationStep, maps: readonly MapSpec[]): string[] {
  const spec = maps.find((m) => m.name === step.map);
  switch (step.kind) {
    case 'create-prototype':
      return [`map '${step.map}.inner': create inner map prototype ${spec?.inner ? shape(spec.inner) : ''}`.trimEnd()];
    case 'create-map':
      return [`map '${step.map}': create ${spec ? shape(spec) : ''}`.trimEnd()];
    case 'close-prototype':
      return [`map '${step.map}.inner': close inner map prototype`];
    case 'write-initial-value':
      return [`map '${step.map}': write initial value (${spec?.initialData?.length ?? 0} bytes)`];
    case 'freeze':
      return [`map '${step.map}': freeze`];
    case 'fill-slots':
      return step.slots.map((s) => `map '${step.map}': slot [${s.index}] set to map '${s.target}'`);
    case 'fill-program-slots':
      return step.slots.map((s) => `map '${step.map}': slot [${s.index}] set to prog '${s.target}'`);
  }
}
