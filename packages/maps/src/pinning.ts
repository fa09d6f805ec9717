import { PinType } from './constants.js';
import { type MapDifference, MapError } from './errors.js';
import type { MapSpec } from './spec.js';

/** Where libbpf pins by default. */
export const DEFAULT_PIN_ROOT = '/sys/fs/bpf';

/**
 * The pin path of a map with `pinning = LIBBPF_PIN_BY_NAME`: `<pinRoot>/<map name>`;
 * `undefined` for maps that are not pinned. The name must be a single path component.
 * @throws {@link MapError} `bad-name` for a name that would leave the pin root.
 */
export function pinPath(spec: MapSpec, pinRoot = DEFAULT_PIN_ROOT): string | undefined {
  if (spec.pinning !== PinType.BY_NAME) return undefined;
  if (
    spec.name === '' ||
    spec.name === '.' ||
    spec.name === '..' ||
    spec.name.includes('/') ||
    spec.name.includes('\0')
  ) {
    throw new MapError('bad-name', 'cannot be pinned: its name is not a single path component', {
      map: spec.name,
      actual: spec.name,
    });
  }
  return `${pinRoot.replace(/\/+$/, '')}/${spec.name}`;
}

/** What the kernel reports about an existing map (from BPF_OBJ_GET_INFO_BY_FD). */
export interface ExistingMapInfo {
  /** Map type: a {@link @bpfkit/uapi!MapType} value. */
  readonly type: number;
  /** Key size in bytes. */
  readonly keySize: number;
  /** Value size in bytes. */
  readonly valueSize: number;
  /** Capacity (`max_entries`). */
  readonly maxEntries: number;
  /** `map_flags`. */
  readonly flags: number;
  /** `map_extra` (compared when given). */
  readonly mapExtra?: bigint;
}

/**
 * The fields in which an already pinned map differs from our spec, compared as libbpf does
 * before reusing a pin: type, key_size, value_size, max_entries, map_flags, map_extra.
 */
export function pinnedMapDifferences(spec: MapSpec, info: ExistingMapInfo): MapDifference[] {
  const differences: MapDifference[] = [];
  const compare = (field: string, expected: number | bigint, actual: number | bigint) => {
    if (expected !== actual) differences.push({ field, expected: String(expected), actual: String(actual) });
  };
  compare('type', spec.type, info.type);
  compare('key_size', spec.keySize, info.keySize);
  compare('value_size', spec.valueSize, info.valueSize);
  compare('max_entries', spec.maxEntries, info.maxEntries);
  compare('map_flags', spec.flags, info.flags);
  if (info.mapExtra !== undefined) compare('map_extra', spec.mapExtra, info.mapExtra);
  return differences;
}

/**
 * Refuses to reuse a pinned map whose definition differs from ours, naming every difference.
 * @throws {@link MapError} `pin-mismatch`.
 */
export function assertPinnedMapCompatible(spec: MapSpec, info: ExistingMapInfo, path: string): void {
  const differences = pinnedMapDifferences(spec, info);
  if (differences.length === 0) return;
  const list = differences.map((d) => `${d.field} ${d.actual} (ours ${d.expected})`).join(', ');
  throw new MapError('pin-mismatch', `cannot reuse the map pinned at '${path}': it has ${list}`, {
    map: spec.name,
    differences,
  });
}
