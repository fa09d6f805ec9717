import { readObjectBtf } from '@bpfkit/btf';
import { parseElf } from '@bpfkit/elf';
import { mapTypeName, resolveMaps, validateMaps } from '@bpfkit/maps';
import { attachTypeName, planPrograms, programTypeName } from '@bpfkit/reloc';

/** What the page shows about an object: built only on the pure packages. */
export interface Report {
  readonly name: string;
  readonly programs: { name: string; section: string; type: string; attach: string; insns: number }[];
  readonly maps: { name: string; type: string; key: number; value: number; max: number }[];
  readonly slots: { outer: string; slot: number; target: string }[];
  readonly types: { id: number; kind: string; name: string }[];
  readonly problems: string[];
}

/** Parses and resolves an object the way the loader would, without loading it. */
export function inspectObject(bytes: Uint8Array, name: string): Report {
  const problems: string[] = [];
  const elf = parseElf(bytes, { name });
  const object = readObjectBtf(elf);
  const maps = resolveMaps(elf, object?.btf);
  problems.push(...validateMaps(maps, name).map((p) => p.message));
  const plans = planPrograms(elf, maps, {
    ...(object?.ext ? { ext: object.ext } : {}),
    ...(object?.btf ? { btf: object.btf } : {}),
  });
  const types = object === undefined ? [] : object.btf.decodeAll().filter((t) => t.name !== '');
  return {
    name,
    programs: plans.map((p) => ({
      name: p.name,
      section: p.section,
      type: p.kind ? programTypeName(p.kind.programType) : 'unknown',
      attach: attachTypeName(p.kind?.expectedAttachType),
      insns: p.instructions.length,
    })),
    maps: maps.map((m) => ({
      name: m.name,
      type: mapTypeName(m.type),
      key: m.keySize,
      value: m.valueSize,
      max: m.maxEntries,
    })),
    slots: maps.flatMap((m) => m.slots.map((s) => ({ outer: m.name, slot: s.index, target: s.target }))),
    types: types.map((t) => ({ id: t.id, kind: t.kind, name: t.name })),
    problems,
  };
}
