import {
  type Btf,
  type BtfComposite,
  type BtfMember,
  type DatasecFixup,
  datasecFixup,
  resolveType,
  sizeOf,
  VarLinkage,
} from '@bpfkit/btf';
import type { ElfFile } from '@bpfkit/elf';
import { isMapInMapType, MapType } from '@bpfkit/uapi';
import { PinType } from './constants.js';
import { MapError, type MapErrorCode } from './errors.js';
import { kernelMapName } from './names.js';
import { type MapSpec, makeMapSpec } from './spec.js';

/** A `.maps` variable: its map spec plus where its `values` array sits, for `.rel.maps`. */
export interface BtfMapDefinition {
  /** The map as defined. */
  readonly spec: MapSpec;
  /** Byte offset of the variable in `.maps`. */
  readonly offset: number;
  /** Size of the variable in bytes (grows with `.values` initialisers). */
  readonly size: number;
  /** Byte offset of the `values` member inside the definition, when it has one. */
  readonly valuesOffset: number | undefined;
}

/** Attributes whose value is encoded as `int (*name)[value]`. */
const integerAttributes = new Set([
  'type',
  'max_entries',
  'map_flags',
  'numa_node',
  'key_size',
  'value_size',
  'pinning',
  'map_extra',
]);

interface Parse {
  readonly btf: Btf;
  readonly object: string | undefined;
  readonly map: string;
}

function fail(p: Parse, code: MapErrorCode, problem: string, extra: Partial<MapError['context']> = {}): never {
  throw new MapError(code, problem, {
    ...(p.object === undefined ? {} : { object: p.object }),
    section: '.maps',
    map: p.map,
    ...extra,
  });
}

/**
 * Reads every BTF-defined map of `.maps`, in variable-offset order, with libbpf's checks:
 * global linkage, a struct definition, known attributes, consistent sizes, a `values` array
 * only last and only for map-in-map or prog arrays, and unpinned inner definitions.
 * `fixup` is `datasecFixup(btf, elf)`, computed when not given.
 * @throws {@link MapError} naming the map and attribute that is wrong.
 */
export function readBtfMaps(
  elf: ElfFile,
  btf: Btf | undefined,
  fixup: DatasecFixup | undefined = btf === undefined ? undefined : datasecFixup(btf, elf),
): BtfMapDefinition[] {
  const section = elf.sectionByName('.maps');
  if (section === undefined) return [];
  const object = elf.name;
  if (btf === undefined) {
    throw new MapError('missing-btf', "the object has a '.maps' section but no BTF to describe it", {
      ...(object === undefined ? {} : { object }),
      section: '.maps',
    });
  }
  const datasec = fixup?.datasec('.maps');
  if (datasec?.kind !== 'datasec') {
    throw new MapError('missing-btf', "BTF has no DATASEC '.maps' describing the map definitions", {
      ...(object === undefined ? {} : { object }),
      section: '.maps',
    });
  }
  return datasec.vars.map((entry) => {
    const variable = btf.type(entry.type);
    const p: Parse = { btf, object, map: variable.name };
    if (variable.kind !== 'var') fail(p, 'bad-definition', `entry is a ${variable.kind}, not a variable`);
    if (variable.name === '') fail(p, 'bad-definition', 'map variable has no name');
    if (entry.offset + entry.size > section.size) {
      fail(p, 'bad-definition', 'variable extends past the end of the section', {
        offset: entry.offset,
        expected: `end ≤ ${section.size}`,
        actual: `end ${entry.offset + entry.size}`,
      });
    }
    if (variable.linkage !== VarLinkage.GLOBAL_ALLOCATED) {
      const linkage = variable.linkage === VarLinkage.STATIC ? 'static' : 'extern';
      fail(p, 'unsupported-linkage', `unsupported map linkage ${linkage}; maps must be global variables`);
    }
    const definition = resolveType(btf, variable.type);
    if (definition.kind !== 'struct')
      fail(p, 'bad-definition', `definition is a ${definition.kind}, expected a struct`);
    if (definition.size > entry.size) {
      fail(p, 'bad-definition', 'definition struct is larger than the variable', {
        expected: `≤ ${entry.size}`,
        actual: definition.size,
      });
    }
    const spec = makeMapSpec({
      name: variable.name,
      kernelName: kernelMapName(variable.name),
      source: 'btf',
      section: '.maps',
      sectionOffset: entry.offset,
    });
    const valuesOffset = parseDefinition(p, definition, spec, false);
    return { spec, offset: entry.offset, size: entry.size, valuesOffset };
  });
}

/** Fills `spec` from a definition struct; returns the byte offset of `values`, if present. */
function parseDefinition(p: Parse, definition: BtfComposite, spec: MapSpec, inner: boolean): number | undefined {
  let valuesOffset: number | undefined;
  let typeSeen = false;
  definition.members.forEach((member, index) => {
    const field = member.name;
    if (integerAttributes.has(field)) {
      const value = field === 'map_extra' ? mapExtraValue(p, member) : integerValue(p, member);
      switch (field) {
        case 'type':
          spec.type = Number(value);
          typeSeen = true;
          break;
        case 'max_entries':
          spec.maxEntries = Number(value);
          break;
        case 'map_flags':
          spec.flags = Number(value);
          break;
        case 'numa_node':
          spec.numaNode = Number(value);
          break;
        case 'key_size':
          spec.keySize = checkSize(p, 'key', spec.keySize, Number(value));
          break;
        case 'value_size':
          spec.valueSize = checkSize(p, 'value', spec.valueSize, Number(value));
          break;
        case 'pinning':
          if (inner) fail(p, 'inner-pinned', "inner map definition can't be pinned", { field });
          if (value !== BigInt(PinType.NONE) && value !== BigInt(PinType.BY_NAME)) {
            fail(p, 'bad-pinning', `invalid pinning value ${value}`, {
              field,
              expected: '0 or 1',
              actual: Number(value),
            });
          }
          spec.pinning = Number(value);
          break;
        case 'map_extra':
          spec.mapExtra = value;
          break;
      }
    } else if (field === 'key' || field === 'value') {
      const { typeId, size } = pointeeType(p, member);
      if (field === 'key') {
        spec.keySize = checkSize(p, 'key', spec.keySize, size);
        spec.btfKeyTypeId = typeId;
      } else {
        spec.valueSize = checkSize(p, 'value', spec.valueSize, size);
        spec.btfValueTypeId = typeId;
      }
    } else if (field === 'values') {
      if (inner) fail(p, 'nested-inner', 'multi-level inner maps are not supported', { field });
      if (index !== definition.members.length - 1) fail(p, 'bad-values', "'values' must be the last member", { field });
      if (!typeSeen) fail(p, 'missing-type', "'type' must come before 'values'", { field });
      const holdsPrograms = spec.type === MapType.PROG_ARRAY;
      if (!isMapInMapType(spec.type) && !holdsPrograms) {
        fail(p, 'bad-values', `'values' needs a map-in-map or prog-array type`, {
          field,
          expected: 'ARRAY_OF_MAPS, HASH_OF_MAPS or PROG_ARRAY',
          actual: spec.type,
        });
      }
      if (spec.valueSize !== 0 && spec.valueSize !== 4) {
        fail(p, 'conflicting-size', `conflicting value size ${spec.valueSize} != 4`, {
          field: 'value_size',
          expected: 4,
          actual: spec.valueSize,
        });
      }
      spec.valueSize = 4;
      spec.btfValueTypeId = 0;
      valuesOffset = member.bitOffset / 8;
      const element = valuesElement(p, member);
      if (!holdsPrograms) {
        if (element.kind !== 'struct') {
          fail(p, 'bad-values', `'values' of a map-in-map must point to a struct, not a ${element.kind}`, { field });
        }
        const innerSpec = makeMapSpec({
          name: `${spec.name}.inner`,
          kernelName: kernelMapName(`${spec.name}.inner`),
          source: 'btf',
          section: '.maps',
          sectionOffset: spec.sectionOffset,
        });
        parseDefinition({ ...p, map: innerSpec.name }, element, innerSpec, true);
        spec.inner = innerSpec;
      } else if (element.kind !== 'func_proto') {
        fail(p, 'bad-values', `'values' of a prog array must point to a function prototype, not a ${element.kind}`, {
          field,
        });
      }
    } else {
      fail(p, 'unknown-attribute', `unknown field '${field}'`, { field });
    }
  });
  if (!typeSeen) fail(p, 'missing-type', "map type isn't specified", { field: 'type' });
  return valuesOffset;
}

/** `int (*name)[N]` → N. */
function integerValue(p: Parse, member: BtfMember): bigint {
  const pointer = resolveType(p.btf, member.type);
  if (pointer.kind !== 'ptr') {
    fail(p, 'bad-definition', `attr '${member.name}': expected a pointer, got a ${pointer.kind}`, {
      field: member.name,
    });
  }
  const array = p.btf.type(pointer.type);
  if (array.kind !== 'array') {
    fail(
      p,
      'bad-definition',
      `attr '${member.name}': expected a pointer to an array, got a pointer to a ${array.kind}`,
      {
        field: member.name,
      },
    );
  }
  return BigInt(array.length);
}

/** `map_extra` as `__uint` or as libbpf's 64-bit `__ulong` (an enum with one value). */
function mapExtraValue(p: Parse, member: BtfMember): bigint {
  const type = resolveType(p.btf, member.type);
  if (type.kind === 'enum' || type.kind === 'enum64') {
    const only = type.values[0];
    if (type.values.length !== 1 || only === undefined) {
      fail(p, 'bad-definition', 'invalid __ulong: the enum must have exactly one value', { field: member.name });
    }
    return BigInt.asUintN(64, BigInt(only.value));
  }
  return integerValue(p, member);
}

/** `T *name` → the id and size of T. */
function pointeeType(p: Parse, member: BtfMember): { typeId: number; size: number } {
  const pointer = resolveType(p.btf, member.type);
  if (pointer.kind !== 'ptr') {
    fail(p, 'bad-definition', `${member.name} spec is not a pointer: ${pointer.kind}`, { field: member.name });
  }
  try {
    return { typeId: pointer.type, size: sizeOf(p.btf, pointer.type) };
  } catch (cause) {
    throw new MapError(
      'bad-definition',
      `can't determine ${member.name} size for type [${pointer.type}]`,
      {
        ...(p.object === undefined ? {} : { object: p.object }),
        map: p.map,
        field: member.name,
      },
      { cause },
    );
  }
}

/** `T *name[]` → T, after checking the zero-length array of pointers. */
function valuesElement(p: Parse, member: BtfMember) {
  const array = resolveType(p.btf, member.type);
  if (array.kind !== 'array' || array.length !== 0) {
    fail(p, 'bad-values', "'values' spec is not a zero-sized array", { field: 'values' });
  }
  const pointer = resolveType(p.btf, array.type);
  if (pointer.kind !== 'ptr') {
    fail(p, 'bad-values', `'values' def is of unexpected kind ${pointer.kind}`, { field: 'values' });
  }
  return resolveType(p.btf, pointer.type);
}

function checkSize(p: Parse, which: 'key' | 'value', current: number, next: number): number {
  if (current !== 0 && current !== next) {
    fail(p, 'conflicting-size', `conflicting ${which} size ${current} != ${next}`, {
      field: `${which}_size`,
      expected: current,
      actual: next,
    });
  }
  return next;
}
