import type { MapSpec } from '@bpfkit/maps';

/**
 * The maps bound to every program of the object after it loads (`BPF_PROG_BIND_MAP`), as
 * libbpf binds them: the read-only data maps (`.rodata`, `.rodata.*`), which then live as
 * long as any program, even one whose instructions never refer to them (constants set from
 * user space, a hash of them, or read by tools that inspect the program's maps).
 */
export function mapsBoundToPrograms(maps: readonly MapSpec[]): string[] {
  return maps.filter((m) => m.source === 'data' && /^\.rodata(\.|$)/.test(m.section)).map((m) => m.name);
}
