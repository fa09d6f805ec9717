import * as btfLib from '@bpfkit/btf';
import * as elfLib from '@bpfkit/elf';
import * as mapsLib from '@bpfkit/maps';
import * as relocLib from '@bpfkit/reloc';
import * as uapi from '@bpfkit/uapi';
import { kernelSupportProblems } from './kernel-support.js';

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
  /** What would fail to load: each a sentence naming the program, map or extern. */
  readonly problems: string[];
  /** What loads, but not quite as written, and checks that could not run (feature probes without privileges). */
  readonly notes: string[];
}

/** What {@link describeObject} hands to checks against the running system. */
export interface ObjectParts {
  /** The object's name, as messages show it. */
  readonly name: string;
  /** The object's byte order. */
  readonly littleEndian: boolean;
  /** Its `.BTF`, when it has one. */
  readonly btf: btfLib.Btf | undefined;
  /** Its map definitions, resolved (empty when they do not resolve). */
  readonly maps: readonly MapSpec[];
  /** Its programs, planned (empty when they cannot be). */
  readonly plans: readonly relocLib.ProgramPlan[];
  /** Its externs no loader can supply, already a problem (load refuses them at open): checks that resolve externs leave them out. */
  readonly refusedExterns: ReadonlySet<string>;
}

/** What checks against the running system found. */
export interface KernelFindings {
  /** What would fail to load. */
  readonly problems: string[];
  /** Checks that could not run, and what loads but not as written. */
  readonly notes: string[];
}

/** The running kernel, for {@link describeObject}: its BTF, and checks that need the system itself. */
export interface KernelView {
  /** The kernel's BTF: CO-RE relocations, program and attach types and helper ids are checked against it. */
  readonly btf: btfLib.Btf;
  /** Checks that ask the running system (feature probes, extern resolution): problems and notes. */
  readonly check?: (parts: ObjectParts) => KernelFindings;
}

/** Page size the ring buffer note assumes when none is given (x86-64, arm64 with 4K pages). */
const DEFAULT_PAGE_SIZE = 4096;

const sectionTypeName = (type: number) =>
  Object.entries(elfLib.SectionType).find(([, v]) => v === type)?.[0] ?? `0x${type.toString(16)}`;

function shape(spec: MapSpec): string {
  return `${uapi.mapTypeName(spec.type)} key ${spec.keySize} value ${spec.valueSize} max ${spec.maxEntries}`;
}

/**
 * Reads an object the way `bpfkit inspect` shows it. Definition problems do not stop it:
 * they are collected in `problems`, as the loader or the kernel would report them: map
 * definitions the kernel refuses to create, sections no loader knows. With a `kernel`,
 * CO-RE relocations of the programs that load are resolved against its BTF too (what load
 * does first), program types, attach types and helpers it does not list are problems, and
 * its `check` adds what the running system says.
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { describeObject } from '@bpfkit/cli';
 *
 * // What `bpfkit inspect probe.bpf.o --json` prints, without a kernel
 * const described = describeObject(new Uint8Array(readFileSync('probe.bpf.o')), 'probe.bpf.o');
 * for (const problem of described.problems) console.error(problem);
 * ```
 */
export function describeObject(
  bytes: Uint8Array,
  name: string,
  kernel?: KernelView,
  pageSize = DEFAULT_PAGE_SIZE,
): ObjectDescription {
  const problems: string[] = [];
  const notes: string[] = [];
  const file = elfLib.parseElf(bytes, { name });
  const object = btfLib.readObjectBtf(file);
  const refused = relocLib.externDeclarationProblems(file, object?.btf);
  problems.push(...refused.map((e) => e.message));
  let maps: MapSpec[] = [];
  try {
    maps = mapsLib.resolveMaps(file, object?.btf);
    problems.push(...mapsLib.validateMaps(maps, name).map((p) => p.message));
    problems.push(...mapsLib.mapKernelRuleProblems(maps, name).map((p) => p.message));
    for (const ring of mapsLib.roundedRingBuffers(maps, pageSize))
      notes.push(
        `map '${ring.map}': max_entries ${ring.size} is not a power-of-two number of ${pageSize}-byte pages: created with ${ring.created}, as libbpf does`,
      );
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
        problems.push(`prog '${plan.name}': section '${plan.section}' names no program type a loader knows`);
    }
    if (kernel !== undefined) {
      problems.push(...kernelSupportProblems(plans, kernel.btf));
      const targets = { kernel: kernel.btf };
      relocLib.relocateCore(plans, { btf: object?.btf, targets, littleEndian: file.littleEndian, object: name });
    }
  } catch (error) {
    problems.push((error as Error).message);
  }
  if (kernel?.check !== undefined) {
    const refusedExterns = new Set(refused.map((e) => e.context.symbol ?? ''));
    const found = kernel.check({
      name,
      littleEndian: file.littleEndian,
      btf: object?.btf,
      maps,
      plans,
      refusedExterns,
    });
    problems.push(...found.problems);
    notes.push(...found.notes);
  }
  return {
    name,
    byteOrder: file.header.byteOrder,
    sections: file.sections.slice(1).map((s) => ({ name: s.name, type: sectionTypeName(s.type), size: s.size })),
    programs: plans.map((p) => ({
      name: p.name,
      section: p.section,
      type: p.kind ? uapi.programTypeName(p.kind.programType) : 'unknown',
      attachType: uapi.attachTypeName(p.kind?.expectedAttachType),
      instructions: p.instructions.length,
      subprograms: p.subprograms.map((s) => s.name),
      maps: [...new Set(relocLib.mapReferencesOf(p.instructions).map((r) => r.map))],
    })),
    maps: maps.map((m) => ({
      name: m.name,
      source: m.source,
      type: uapi.mapTypeName(m.type),
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
    notes,
  };
}
