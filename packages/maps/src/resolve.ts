import { type Btf, type DatasecFixup, datasecFixup } from '@bpfkit/btf';
import type { ElfFile } from '@bpfkit/elf';
import { withArenaGlobals } from './arena.js';
import { readBtfMaps } from './btf-maps.js';
import { MapError } from './errors.js';
import { readGlobalData, readKconfig } from './global-data.js';
import { readLegacyMaps } from './legacy-maps.js';
import { objectNameFromPath } from './names.js';
import { readSlots } from './slots.js';
import type { MapSpec } from './spec.js';
import { readStructOpsMaps } from './struct-ops.js';

/** Options for {@link resolveMaps}. */
export interface ResolveMapsOptions {
  /** libbpf's object name, used to prefix global-data map names; from the ELF's name by default. */
  readonly objectName?: string;
  /** Inner map prototypes supplied by the user, by outer map name; they replace any from BTF. */
  readonly innerMaps?: Readonly<Record<string, MapSpec>>;
  /** The object's DATASEC fix-up, `datasecFixup(btf, elf)`, when the caller keeps one for later; computed when not given. */
  readonly datasecFixup?: DatasecFixup;
}

/**
 * Every map an object defines, with no kernel call: BTF-defined maps of `.maps` (in variable
 * order) with their slots from `.rel.maps`, legacy `maps` definitions, global data,
 * `.kconfig` and struct_ops variables. What a user may still fix by editing the specs (a slot that does not fit its
 * inner definition, a missing inner map) is not refused here: {@link validateMaps} reports
 * it, and the loader runs it at load.
 * @throws {@link MapError} for the first definition or slot relocation that is wrong.
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { readObjectBtf } from '@bpfkit/btf';
 * import { parseElf } from '@bpfkit/elf';
 * import { resolveMaps, validateMaps } from '@bpfkit/maps';
 *
 * const elf = parseElf(new Uint8Array(readFileSync('probe.bpf.o')), { name: 'probe.bpf.o' });
 * const maps = resolveMaps(elf, readObjectBtf(elf)?.btf);
 * for (const map of maps) console.log(map.name, map.type, map.maxEntries);
 * console.log(validateMaps(maps)); // what the loader would refuse, before any kernel call
 * ```
 */
export function resolveMaps(elf: ElfFile, btf: Btf | undefined, options: ResolveMapsOptions = {}): MapSpec[] {
  const objectName = options.objectName ?? objectNameFromPath(elf.name ?? 'object');
  const fixup = btf === undefined ? undefined : (options.datasecFixup ?? datasecFixup(btf, elf));
  const definitions = readBtfMaps(elf, btf, fixup);
  readSlots(elf, definitions);
  const maps = [
    ...withArenaGlobals(
      elf,
      definitions.map((d) => d.spec),
    ),
    ...readLegacyMaps(elf),
    ...readGlobalData(elf, btf, objectName, fixup),
  ];
  const kconfig = readKconfig(elf, btf, objectName);
  if (kconfig !== undefined) maps.push(kconfig);
  maps.push(...readStructOpsMaps(elf, btf, fixup));
  for (const [outer, inner] of Object.entries(options.innerMaps ?? {})) {
    const spec = maps.find((m) => m.name === outer);
    if (spec === undefined) {
      throw new MapError('not-found', 'an inner map was supplied for a map the object does not define', {
        ...(elf.name === undefined ? {} : { object: elf.name }),
        map: outer,
      });
    }
    spec.inner = inner;
  }
  const seen = new Set<string>();
  for (const spec of maps) {
    if (seen.has(spec.name)) {
      throw new MapError('bad-name', 'two maps have the same name', {
        ...(elf.name === undefined ? {} : { object: elf.name }),
        map: spec.name,
      });
    }
    seen.add(spec.name);
  }
  return maps;
}
