import { type Btf, type BtfType, fixupDatasecs, readObjectBtf, VarLinkage } from '@bpfkit/btf';
import { type ElfFile, parseElf, requireBpfObject } from '@bpfkit/elf';
import { isReadOnlySection, type MapSpec, objectNameFromPath, resolveMaps } from '@bpfkit/maps';
import { checkExternDeclarations, planPrograms } from '@bpfkit/reloc';
import { isPerCpuMapType, MapFlag, MapType, mapTypeName } from '@bpfkit/uapi';
import { GenError } from './errors.js';

/** A global variable of a section, at its fixed offset. */
export interface SkeletonVariable {
  readonly name: string;
  /** Its BTF type (under the VAR). */
  readonly type: number;
  readonly offset: number;
  readonly size: number;
}

/** A global-data section user space can see (`.bss`, `.data`, `.data.*`, `.rodata`, `.rodata.*`). */
export interface SkeletonSection {
  /** ELF section name (`.data.custom`). */
  readonly section: string;
  /** Property name on the skeleton (`data_custom`). */
  readonly property: string;
  /** Read-only for user space after load (`.rodata*`, frozen): set through `open()`, read from a copy. */
  readonly readOnly: boolean;
  readonly size: number;
  readonly variables: readonly SkeletonVariable[];
}

/** How a map appears on the skeleton. */
export type SkeletonMap =
  | {
      readonly form: 'typed';
      readonly spec: MapSpec;
      readonly key: number | 'u32';
      readonly value: number;
      readonly perCpu: boolean;
    }
  | {
      readonly form: 'events';
      readonly spec: MapSpec;
      readonly channel: 'ring' | 'perf';
      readonly eventType: number | undefined;
    }
  | { readonly form: 'raw'; readonly spec: MapSpec };

/** A program the skeleton names. */
export interface SkeletonProgram {
  readonly name: string;
  readonly section: string;
}

/** Everything the skeleton emitter needs from an object, decided without the kernel. */
export interface SkeletonModel {
  readonly elf: ElfFile;
  readonly btf: Btf;
  /** File name it was generated from. */
  readonly object: string;
  /** libbpf's object name (global-data map names start with it). */
  readonly objectName: string;
  readonly sections: readonly SkeletonSection[];
  readonly maps: readonly SkeletonMap[];
  readonly programs: readonly SkeletonProgram[];
  /** Type ids the user named (`--type`). */
  readonly namedTypes: readonly number[];
}

/** The skeleton property of a data section: `.data.custom` → `data_custom`. */
function sectionProperty(section: string): string {
  return section.slice(1).replace(/[^A-Za-z0-9_$]/g, '_');
}

/**
 * Reads what a skeleton of `bytes` shows: the global-data sections user space can see and
 * their non-static variables at the offsets libbpf gives them, each map with its key and
 * value types (or its event channel and record type), each program.
 * @throws {@link GenError} `bad-object` for an object without BTF, `type-not-found` for an
 * event or named type the BTF lacks; `RelocError` `unsupported-extern` for an extern no loader
 * can supply (as the loader's open); `ElfError`, `BtfError`, `MapError` or `RelocError` for bad input.
 */
export function readSkeletonModel(
  bytes: Uint8Array,
  object: string,
  options: { readonly events?: Readonly<Record<string, string>>; readonly types?: readonly string[] },
  findType: (btf: Btf, name: string) => number,
): SkeletonModel {
  const elf = parseElf(bytes, { name: object });
  requireBpfObject(elf);
  const btf = readObjectBtf(elf)?.btf;
  if (btf === undefined)
    throw new GenError('bad-object', 'the object has no BTF, so its types are unknown: compile it with clang -g', {
      object,
    });
  // As bpftool gen skeleton: an object libbpf's open refuses (an extern nothing supplies) gets no skeleton.
  checkExternDeclarations(elf, btf);
  const objectName = objectNameFromPath(object);
  const specs = resolveMaps(elf, btf, { objectName });
  const fixed = fixupDatasecs(btf, elf);
  const events = options.events ?? {};
  for (const map of Object.keys(events)) {
    const spec = specs.find((s) => s.name === map);
    if (spec === undefined || (spec.type !== MapType.RINGBUF && spec.type !== MapType.PERF_EVENT_ARRAY))
      throw new GenError(
        'bad-object',
        'an event type is given for a map that is not a ring buffer or perf event array',
        {
          object,
          field: map,
          expected:
            'one of ' +
            specs
              .filter((s) => s.type === MapType.RINGBUF || s.type === MapType.PERF_EVENT_ARRAY)
              .map((s) => `'${s.name}'`)
              .join(', '),
          actual: spec === undefined ? 'no such map' : mapTypeName(spec.type),
        },
      );
  }
  const sections = specs
    .filter((s) => s.source === 'data' && (s.flags & MapFlag.MMAPABLE) !== 0)
    .map((s) => dataSection(s, fixed, btf));
  const maps = specs
    .filter((s) => s.source === 'btf' || s.source === 'legacy')
    .map((spec): SkeletonMap => {
      if (spec.type === MapType.RINGBUF || spec.type === MapType.PERF_EVENT_ARRAY) {
        const name = events[spec.name];
        return {
          form: 'events',
          spec,
          channel: spec.type === MapType.RINGBUF ? 'ring' : 'perf',
          eventType: name === undefined ? undefined : findType(btf, name),
        };
      }
      const plain = spec.inner === undefined && spec.type !== MapType.PROG_ARRAY && spec.btfValueTypeId !== 0;
      const key = spec.btfKeyTypeId !== 0 ? spec.btfKeyTypeId : spec.keySize === 4 ? 'u32' : undefined;
      if (!plain || key === undefined) return { form: 'raw', spec };
      return { form: 'typed', spec, key, value: spec.btfValueTypeId, perCpu: isPerCpuMapType(spec.type) };
    });
  const programs = planPrograms(elf, specs).map((plan) => ({ name: plan.name, section: plan.section }));
  const namedTypes = (options.types ?? []).map((name) => findType(btf, name));
  return { elf, btf, object, objectName, sections, maps, programs, namedTypes };
}

function dataSection(spec: MapSpec, fixed: readonly BtfType[], btf: Btf): SkeletonSection {
  const datasec = fixed[spec.btfValueTypeId - 1];
  const variables: SkeletonVariable[] = [];
  if (datasec?.kind === 'datasec') {
    for (const info of datasec.vars) {
      const variable = fixed[info.type - 1] ?? btf.type(info.type);
      if (variable.kind !== 'var' || variable.linkage === VarLinkage.STATIC) continue;
      variables.push({ name: variable.name, type: variable.type, offset: info.offset, size: info.size });
    }
  }
  return {
    section: spec.section,
    property: sectionProperty(spec.section),
    readOnly: isReadOnlySection(spec.section),
    size: spec.valueSize,
    variables,
  };
}
