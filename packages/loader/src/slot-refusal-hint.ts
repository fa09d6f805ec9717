import { innerMapDifferences, type MapSpec } from '@bpfkit/maps';
import { mapTypeName } from '@bpfkit/uapi';

/**
 * What to do when the kernel refuses (EINVAL) to put `target` into a slot of the map-in-map
 * `outer`: how `target` differs from the inner map prototype, every field the kernel may
 * compare. That is the fields {@link innerMapDifferences} checks before any kernel call,
 * and max_entries for any map type, since kernels differ on which types they compare it
 * for (this machine's 6.18.44 build compares it for PERCPU_ARRAY, an earlier 6.18 build did
 * not). Undefined when the two are alike, or when either definition is unknown.
 */
export function slotRefusalHint(outer: MapSpec, target: MapSpec | undefined): string | undefined {
  const inner = outer.inner;
  if (inner === undefined || target === undefined) return undefined;
  const differences = innerMapDifferences(inner, target, { maxEntriesOfEveryType: true });
  if (differences.length === 0) return undefined;
  const listed = differences.map((d) => `${d.field} ${d.actual} where the prototype has ${d.expected}`).join(', ');
  return (
    `map '${target.name}' differs from the inner map prototype '${inner.name}' (${mapTypeName(inner.type)}): ${listed}; ` +
    'the kernel refuses a slot map unlike the prototype: declare the two alike (kernels differ on the map types whose max_entries they compare)'
  );
}
