import * as btfLib from '@bpfkit/btf';
import * as elfLib from '@bpfkit/elf';
import * as mapsLib from '@bpfkit/maps';
import * as relocLib from '@bpfkit/reloc';

type MapSpec = mapsLib.MapSpec;

/** Everything `inspect` shows about an object, found without privileges or kernel calls. */
export interface ObjectDescription {
  /** The object's name (its file name). */
  readonly name: string;
  /** `little` or `big`. */
  readonly byteOrder: string;
  /** Every section but the null one. */
  readonly sections: {
    /** Section name. */
    name: string;
    /** `SHT_*` type name (`PROGBITS`…), or its number in hex. */
    type: string;
    /** Size in bytes. */
    size: number;
  }[];
  /** Every entry point, as the loader would plan it. */
  readonly programs: {
    /** Function name. */
    name: string;
    /** Section it is in. */
    section: string;
    /** `BPF_PROG_TYPE_*` name from the section, or `unknown`. */
    type: string;
    /** `BPF_*` expected attach type name, or `none`. */
    attachType: string;
    /** Instruction slots after subprograms are appended. */
    instructions: number;
    /** Subprograms appended, in order. */
    subprograms: string[];
    /** Maps it refers to. */
    maps: string[];
  }[];
  /** Every map definition. */
  readonly maps: {
    /** Map name. */
    name: string;
    /** Where it is defined: `btf` (`.maps`), `legacy` (`maps`), `data` (global data), `kconfig` or `struct_ops`. */
    source: string;
    /** `BPF_MAP_TYPE_*` name. */
    type: string;
    /** Key size in bytes. */
    keySize: number;
    /** Value size in bytes. */
    valueSize: number;
    /** Capacity (`max_entries`). */
    maxEntries: number;
    /** `map_flags`, in hex. */
    flags: string;
    /** `by name` or `none`. */
    pinning: string;
    /** The inner map's shape, for map-in-map. */
    inner: string | undefined;
    /** Initial slots (`[index] = target`). */
    slots: string[];
  }[];
  /** `.BTF` size, when present: types (without void) and string bytes. */
  readonly btf:
    | {
        /** Number of types, void left out. */
        types: number;
        /** Size of the string section in bytes. */
        strings: number;
      }
    | undefined;
  /** CO-RE relocations in `.BTF.ext`. */
  readonly coreRelocations: number;
  /** Definition and relocation problems found, as the loader would report them. */
  readonly problems: string[];
}

const sectionTypeName = (type: number) =>
  Object.entries(elfLib.SectionType).find(([, v]) => v === type)?.[0] ?? `0x${type.toString(16)}`;

function shape(spec: MapSpec): string {
  return `${mapsLib.mapTypeName(spec.type)} key ${spec.keySize} value ${spec.valueSize} max ${spec.maxEntries}`;
}

/**
 * Reads an object the way `bpfkit inspect` shows it. Definition problems do not stop it:
 * they are collected in `problems`, as the loader would report them. With `kernelBtf`,
 * CO-RE relocations of the programs that load are resolved against it too (what load does
 * first), and a relocation that cannot be is a problem.
 */
export function describeObject(bytes: Uint8Array, name: string, kernelBtf?: btfLib.Btf): ObjectDescription {
  const problems: string[] = [];
  const file = elfLib.parseElf(bytes, { name });
  const object = btfLib.readObjectBtf(file);
  let maps: MapSpec[] = [];
  try {
    maps = mapsLib.resolveMaps(file, object?.btf);
    problems.push(...mapsLib.validateMaps(maps, name).map((p) => p.message));
  } catch (error) {
    problems.push((error as Error).message);
  }
  let plans: relocLib.ProgramPlan[] = [];
  try {
    plans = relocLib.planPrograms(file, maps, {
      ...(object?.ext ? { ext: object.ext } : {}),
    });
    for (const plan of plans) {
      if (plan.kind === undefined)
        problems.push(`prog '${plan.name}': section '${plan.section}' names no program type`);
    }
    if (kernelBtf !== undefined) {
      const targets = { kernel: kernelBtf };
      relocLib.relocateCore(plans, { btf: object?.btf, targets, littleEndian: file.littleEndian, object: name });
    }
  } catch (error) {
    problems.push((error as Error).message);
  }
  return {
    name,
    byteOrder: file.header.byteOrder,
    sections: file.sections.slice(1).map((s) => ({ name: s.name, type: sectionTypeName(s.type), size: s.size })),
    programs: plans.map((p) => ({
      name: p.name,
      section: p.section,
      type: p.kind ? relocLib.programTypeName(p.kind.programType) : 'unknown',
      attachType: relocLib.attachTypeName(p.kind?.expectedAttachType),
      instructions: p.instructions.length,
      subprograms: p.subprograms.map((s) => s.name),
      maps: [...new Set(p.references.map((r) => r.map))],
    })),
    maps: maps.map((m) => ({
      name: m.name,
      source: m.source,
      type: mapsLib.mapTypeName(m.type),
      keySize: m.keySize,
      valueSize: m.valueSize,
      maxEntries: m.maxEntries,
      flags: `0x${m.flags.toString(16)}`,
      pinning: m.pinning === 1 ? 'by name' : 'none',
      inner: m.inner === undefined ? undefined : shape(m.inner),
      slots: m.slots.map((s) => `[${s.index}] = ${s.targetKind === 'program' ? 'prog ' : ''}${s.target}`),
    })),
    btf:
      object === undefined ? undefined : { types: object.btf.typeCount - 1, strings: object.btf.header.stringLength },
    coreRelocations: [...(object?.ext?.coreRelos.values() ?? [])].reduce((n, relos) => n + relos.length, 0),
    problems,
  };
}
