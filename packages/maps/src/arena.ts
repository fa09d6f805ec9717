import type { ElfFile } from '@bpfkit/elf';
import { MapType } from '@bpfkit/uapi';
import { MapError } from './errors.js';
import type { MapSpec } from './spec.js';

/** The section clang puts `__arena` globals (address space 1) in. */
export const ARENA_SECTION = '.addr_space.1';

/**
 * The BTF-defined maps, with the arena's initial globals attached to the one ARENA map, as
 * libbpf allows: at most one ARENA map per object, and `__arena` globals need one.
 * @throws {@link MapError} `bad-definition` for a second ARENA map, or globals with none.
 */
export function withArenaGlobals(elf: ElfFile, maps: MapSpec[]): MapSpec[] {
  const where = elf.name === undefined ? {} : { object: elf.name };
  const arenas = maps.filter((m) => m.type === MapType.ARENA);
  if (arenas.length > 1) {
    throw new MapError('bad-definition', `only one ARENA map is supported, and '${arenas[0]?.name}' is one too`, {
      ...where,
      map: (arenas[1] as MapSpec).name,
    });
  }
  const section = elf.sectionByName(ARENA_SECTION);
  if (section === undefined || section.size === 0) return maps;
  const arena = arenas[0];
  if (arena === undefined) {
    throw new MapError('bad-definition', '__arena globals need an ARENA map declared in SEC(".maps")', {
      ...where,
      section: ARENA_SECTION,
    });
  }
  const globals = new Uint8Array(section.size);
  if (!section.isNoBits) globals.set(section.data);
  return maps.map((m) => (m === arena ? { ...m, arenaGlobals: globals } : m));
}
