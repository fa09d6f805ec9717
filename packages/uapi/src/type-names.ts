import { AttachType, BpfCommand, MapType, ProgramType } from './generated/enums.js';

/**
 * The enumerator name of `value` in one of the generated enums. Where the kernel keeps an
 * alias (`CGROUP_STORAGE_DEPRECATED` and `CGROUP_STORAGE` are both 19, `PROG_TEST_RUN` and
 * `PROG_RUN` both 10) the first name not marked deprecated wins.
 */
function enumeratorName(values: Readonly<Record<string, number>>, value: number): string | undefined {
  let found: string | undefined;
  for (const [name, v] of Object.entries(values)) {
    if (v !== value) continue;
    if (!name.endsWith('_DEPRECATED')) return name;
    found ??= name;
  }
  return found;
}

/**
 * The `BPF_MAP_TYPE_*` name of a map type number without its prefix, e.g. `ARRAY_OF_MAPS`; `UNKNOWN(n)` for others.
 * @example
 * ```ts
 * import { MapType, mapTypeName, programTypeName, ProgramType } from '@bpfkit/uapi';
 *
 * mapTypeName(MapType.ARRAY_OF_MAPS); // 'ARRAY_OF_MAPS'
 * programTypeName(ProgramType.XDP); // 'XDP'
 * mapTypeName(999); // 'UNKNOWN(999)'
 * ```
 */
export function mapTypeName(type: number): string {
  return enumeratorName(MapType, type) ?? `UNKNOWN(${type})`;
}

/** The `BPF_PROG_TYPE_*` name of a program type number without its prefix, e.g. `XDP`; `UNKNOWN(n)` for others. */
export function programTypeName(type: number): string {
  return enumeratorName(ProgramType, type) ?? `UNKNOWN(${type})`;
}

/** The `BPF_*` name of an attach type number without its prefix, e.g. `TCX_INGRESS`; `none` for no attach type. */
export function attachTypeName(type: number | undefined): string {
  if (type === undefined) return 'none';
  return enumeratorName(AttachType, type) ?? `UNKNOWN(${type})`;
}

/** The name of a bpf(2) command, e.g. `BPF_MAP_CREATE`; `bpf command n` for others. */
export function commandName(command: number): string {
  const name = enumeratorName(BpfCommand, command);
  return name === undefined ? `bpf command ${command}` : `BPF_${name}`;
}
