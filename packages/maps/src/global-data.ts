import { alignOf, type Btf, type DatasecFixup, datasecFixup, sizeOf, VarLinkage } from '@bpfkit/btf';
import { type ElfFile, SectionType, SymbolBinding, SymbolType } from '@bpfkit/elf';
import { MapFlag, MapType } from '@bpfkit/uapi';
import { MapError } from './errors.js';
import { internalMapName } from './names.js';
import { type KconfigExtern, type MapSpec, makeMapSpec } from './spec.js';

const dataSection = /^\.(data|rodata|bss)(\..+)?$/;

/**
 * True for a global-data section: `.data`, `.rodata` or `.bss`, alone or followed by
 * `.name`. Its first two characters ('.' and 'd', 'r' or 'b') are read first, so most of
 * an object's other sections (code, BTF, strings), which an open asks about, cost no
 * regular expression.
 */
export function isGlobalDataSection(name: string): boolean {
  const second = name.charCodeAt(1);
  return (
    (second === 0x64 || second === 0x72 || second === 0x62) && name.charCodeAt(0) === 0x2e && dataSection.test(name)
  );
}

/**
 * Largest global-data section accepted: the kernel refuses array values above
 * KMALLOC_MAX_SIZE (4 MiB on x86-64), so anything past this is a corrupt header, and
 * refusing it keeps a bad `.bss` size from allocating gigabytes.
 */
export const MAX_GLOBAL_DATA_SIZE = 64 << 20;

/** True for `.rodata`, `.rodata.*` and `.kconfig`: read-only for programs, frozen after initialisation. */
export function isReadOnlySection(section: string): boolean {
  return section === '.rodata' || section.startsWith('.rodata.') || section === '.kconfig';
}

/**
 * One single-entry ARRAY map per non-empty `.data*`, `.rodata*` and `.bss*` section, in
 * section order, as libbpf makes them: key 4 bytes, value the section's size, the initial
 * value the section's bytes (zeros for `.bss`), `BPF_F_RDONLY_PROG` and a freeze for
 * read-only sections, `BPF_F_MMAPABLE` when the section holds a variable user space can
 * see (non-static once `fixup`, the DATASEC fix-up, has made hidden globals static), and
 * the BTF DATASEC of the same name as value type. `fixup` is computed when not given.
 */
export function readGlobalData(
  elf: ElfFile,
  btf: Btf | undefined,
  objectName: string,
  fixup: DatasecFixup | undefined = btf === undefined ? undefined : datasecFixup(btf, elf),
): MapSpec[] {
  const specs: MapSpec[] = [];
  for (const section of elf.sections) {
    if (!isGlobalDataSection(section.name) || section.size === 0) continue;
    if (section.type !== SectionType.PROGBITS && section.type !== SectionType.NOBITS) continue;
    if (section.size > MAX_GLOBAL_DATA_SIZE) {
      throw new MapError('bad-definition', 'global-data section is larger than any kernel map value can be', {
        ...(elf.name === undefined ? {} : { object: elf.name }),
        section: section.name,
        expected: `≤ ${MAX_GLOBAL_DATA_SIZE} bytes`,
        actual: section.size,
      });
    }
    const datasec = fixup?.datasec(section.name);
    const readOnly = isReadOnlySection(section.name);
    const hasGlobal = datasec?.vars.some((v) => {
      const variable = fixup?.type(v.type);
      return variable?.kind === 'var' && variable.linkage !== VarLinkage.STATIC;
    });
    const initialData = new Uint8Array(section.size);
    if (!section.isNoBits) initialData.set(section.data);
    specs.push(
      makeMapSpec({
        name: internalMapName(objectName, section.name),
        kernelName: internalMapName(objectName, section.name),
        source: 'data',
        section: section.name,
        type: MapType.ARRAY,
        keySize: 4,
        valueSize: section.size,
        maxEntries: 1,
        flags: (readOnly ? MapFlag.RDONLY_PROG : 0) | (hasGlobal ? MapFlag.MMAPABLE : 0),
        btfValueTypeId: datasec?.id ?? 0,
        initialData,
        freeze: readOnly,
      }),
    );
  }
  return specs;
}

/**
 * The `.kconfig` map when the object declares `extern … __kconfig` variables: externs are
 * laid out by descending alignment, then ascending size, then name (libbpf's order), the
 * map's BTF value type is the `.kconfig` DATASEC (the loader places its variables), and
 * the map is read-only for programs and frozen once the loader has written their values.
 */
export function readKconfig(elf: ElfFile, btf: Btf | undefined, objectName: string): MapSpec | undefined {
  const datasec = btf?.byName('.kconfig', 'datasec');
  if (btf === undefined || datasec?.kind !== 'datasec' || datasec.vars.length === 0) return undefined;
  const entries = datasec.vars.map((v) => {
    const variable = btf.type(v.type);
    if (variable.kind !== 'var') {
      throw new MapError('bad-definition', `.kconfig entry [${v.type}] is a ${variable.kind}, not a variable`, {
        ...(elf.name === undefined ? {} : { object: elf.name }),
        section: '.kconfig',
      });
    }
    const symbol = elf.symbols.find((s) => s.name === variable.name);
    return {
      name: variable.name,
      typeId: variable.type,
      size: sizeOf(btf, variable.type),
      align: alignOf(btf, variable.type),
      weak: symbol?.bind === SymbolBinding.WEAK,
    };
  });
  entries.sort((a, b) => b.align - a.align || a.size - b.size || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let end = 0;
  const externs: KconfigExtern[] = entries.map((e) => {
    const offset = Math.ceil(end / e.align) * e.align;
    end = offset + e.size;
    return { name: e.name, typeId: e.typeId, offset, size: e.size, weak: e.weak };
  });
  const size = Math.max(end, 1);
  if (size > MAX_GLOBAL_DATA_SIZE) {
    const largest = entries.reduce((a, b) => (b.size > a.size ? b : a));
    throw new MapError('bad-definition', `.kconfig externs need ${size} bytes, more than any map value can hold`, {
      ...(elf.name === undefined ? {} : { object: elf.name }),
      section: '.kconfig',
      field: largest.name,
      expected: `≤ ${MAX_GLOBAL_DATA_SIZE} bytes`,
      actual: size,
    });
  }
  return makeMapSpec({
    name: internalMapName(objectName, '.kconfig'),
    kernelName: internalMapName(objectName, '.kconfig'),
    source: 'kconfig',
    section: '.kconfig',
    type: MapType.ARRAY,
    keySize: 4,
    valueSize: size,
    maxEntries: 1,
    flags: MapFlag.RDONLY_PROG | MapFlag.MMAPABLE,
    btfValueTypeId: datasec.id,
    initialData: new Uint8Array(size),
    freeze: true,
    externs,
  });
}

/** A value for a `const volatile` global: a number, a bigint or raw bytes. */
export type ConstantValue = number | bigint | boolean | Uint8Array;

/**
 * Writes `value` into the initial data of the read-only map holding the `const volatile`
 * global `name`, at its ELF symbol's offset, checked against the variable's BTF size.
 * @throws {@link MapError} `bad-constant` when the variable is unknown, not read-only data,
 * or the value does not fit.
 */
export function setConstant(
  maps: readonly MapSpec[],
  elf: ElfFile,
  btf: Btf | undefined,
  name: string,
  value: ConstantValue,
): void {
  const fail: (problem: string, extra?: Partial<MapError['context']>) => never = (problem, extra = {}) => {
    throw new MapError('bad-constant', `constant '${name}': ${problem}`, {
      ...(elf.name === undefined ? {} : { object: elf.name }),
      field: name,
      ...extra,
    });
  };
  const symbol = elf.symbols.find(
    (s) =>
      s.name === name && s.type === SymbolType.OBJECT && isReadOnlySection(elf.sections[s.sectionIndex]?.name ?? ''),
  );
  if (symbol === undefined) fail('no read-only global (const volatile in .rodata) has this name');
  const section = elf.section(symbol.sectionIndex).name;
  const spec = maps.find((m) => m.source === 'data' && m.section === section);
  if (spec?.initialData === undefined) fail(`no map holds section '${section}'`, { section });
  const variable = btf?.byName(name, 'var');
  const size = variable?.kind === 'var' && btf !== undefined ? sizeOf(btf, variable.type) : symbol.size;
  spec.initialData.set(encodeConstant(value, size, elf.littleEndian, fail), symbol.value);
}

/** `value` as an integer, or a `bad-constant` error naming what was given instead. */
function constantInteger(
  value: unknown,
  fail: (problem: string, extra?: Partial<MapError['context']>) => never,
): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'boolean') return value ? 1n : 0n;
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  const given =
    typeof value === 'number' ? String(value) : typeof value === 'string' ? `the string '${value}'` : typeof value;
  return fail(`${given} is not an integer, a boolean or bytes`, {
    expected: 'an integer (number or bigint), a boolean or a Uint8Array',
    actual: given,
  });
}

function encodeConstant(
  value: ConstantValue,
  size: number,
  littleEndian: boolean,
  fail: (problem: string, extra?: Partial<MapError['context']>) => never,
): Uint8Array {
  if (value instanceof Uint8Array) {
    if (value.length !== size)
      fail(`${value.length} bytes given for a ${size}-byte variable`, { expected: size, actual: value.length });
    return value;
  }
  const number = constantInteger(value, fail);
  const bits = BigInt(size * 8);
  if (size > 8 || number >= 1n << bits || number < -(1n << (bits - 1n))) {
    fail(`${value} does not fit in ${size} bytes`, { expected: `${size} bytes`, actual: String(value) });
  }
  const out = new Uint8Array(size);
  let raw = BigInt.asUintN(size * 8, number);
  for (let i = 0; i < size; i++) {
    out[littleEndian ? i : size - 1 - i] = Number(raw & 0xffn);
    raw >>= 8n;
  }
  return out;
}
