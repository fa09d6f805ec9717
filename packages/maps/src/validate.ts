import { isMapInMapType, MapFlag, MapType, mapTypeName } from '@bpfkit/uapi';
import { type MapDifference, MapError, type MapErrorContext } from './errors.js';
import type { MapSpec } from './spec.js';

/**
 * The fields in which `target` differs from `inner` as the kernel compares a map put into
 * a map-in-map slot with the prototype: type, key_size, value_size, map_flags, and
 * max_entries for ARRAY inner maps without `BPF_F_INNER_MAP`, or for every type with
 * `maxEntriesOfEveryType` (what some kernels compare: the fields to name when one refuses).
 */
export function innerMapDifferences(
  inner: MapSpec,
  target: MapSpec,
  options: { readonly maxEntriesOfEveryType?: boolean } = {},
): MapDifference[] {
  const differences: MapDifference[] = [];
  const compare = (field: string, expected: number, actual: number, show: (v: number) => string = String) => {
    if (expected !== actual) differences.push({ field, expected: show(expected), actual: show(actual) });
  };
  compare('type', inner.type, target.type, mapTypeName);
  compare('key_size', inner.keySize, target.keySize);
  compare('value_size', inner.valueSize, target.valueSize);
  compare('map_flags', inner.flags, target.flags, (v) => `0x${v.toString(16)}`);
  // Every kernel compares max_entries for ARRAY (array_map_meta_equal). Some compare it for
  // PERCPU_ARRAY too (this machine's 6.18.44 build), some not (an earlier 6.18 build), so that
  // is left to the kernel, as libbpf leaves it; the loader's hint names it when refused.
  if (options.maxEntriesOfEveryType || (inner.type === MapType.ARRAY && (inner.flags & MapFlag.INNER_MAP) === 0)) {
    compare('max_entries', inner.maxEntries, target.maxEntries);
  }
  return differences;
}

/**
 * Every problem the kernel would report only when a slot write fails, found before any
 * kernel call: map-in-map without an inner definition, slots past `max_entries` (or more
 * slots than a hash-of-maps holds), targets that are themselves map-in-map, and targets
 * that differ from the inner definition (all differing fields at once).
 */
export function validateMaps(maps: readonly MapSpec[], object?: string): MapError[] {
  const problems: MapError[] = [];
  const byName = new Map(maps.map((m) => [m.name, m]));
  const where = object === undefined ? {} : { object };
  for (const outer of maps) {
    if (isMapInMapType(outer.type) && outer.inner === undefined) {
      problems.push(
        new MapError(
          'no-inner-definition',
          'map-in-map has no inner map definition; declare __array(values, struct …) or supply one',
          {
            ...where,
            map: outer.name,
          },
        ),
      );
    }
    // Slots mostly share a few targets: compare each target with the inner definition once.
    const differencesOf = new Map<MapSpec, MapDifference[]>();
    outer.slots.forEach((slot, position) => {
      const context = (): MapErrorContext => ({ ...where, map: outer.name, slot: slot.index, target: slot.target });
      const outOfRange =
        outer.type === MapType.HASH_OF_MAPS ? position >= outer.maxEntries : slot.index >= outer.maxEntries;
      if (outOfRange) {
        problems.push(
          new MapError(
            'slot-out-of-range',
            outer.type === MapType.HASH_OF_MAPS
              ? `is slot number ${position + 1}, more than max_entries ${outer.maxEntries} lets the hash hold`
              : `is past the end of the array (max_entries ${outer.maxEntries})`,
            { ...context(), field: 'max_entries', expected: `< ${outer.maxEntries}`, actual: slot.index },
          ),
        );
      }
      if (slot.targetKind !== 'map' || !isMapInMapType(outer.type)) return;
      const target = byName.get(slot.target);
      if (target === undefined) {
        problems.push(
          new MapError('slot-not-a-map', `points to '${slot.target}', which is not a map of this object`, context()),
        );
        return;
      }
      if (isMapInMapType(target.type)) {
        problems.push(
          new MapError(
            'slot-nested',
            `points to map '${target.name}', itself a ${mapTypeName(target.type)}; the kernel does not nest map-in-maps`,
            context(),
          ),
        );
        return;
      }
      if (outer.inner === undefined) return;
      let differences = differencesOf.get(target);
      if (differences === undefined) {
        differences = innerMapDifferences(outer.inner, target);
        differencesOf.set(target, differences);
      }
      if (differences.length > 0) {
        const whose = differences.map((d) => `${d.field} ${d.actual}`).join(', ');
        const theirs = differences.map((d) => d.expected).join(', ');
        const verb = differences.length === 1 ? 'differs' : 'differ';
        problems.push(
          new MapError(
            'slot-mismatch',
            `points to map '${target.name}' whose ${whose} ${verb} from the inner definition's ${theirs}`,
            { ...context(), differences },
          ),
        );
      }
    });
  }
  return problems;
}
