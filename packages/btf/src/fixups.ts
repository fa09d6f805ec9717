import { type ElfFile, type ElfSymbol, SymbolBinding, SymbolType, SymbolVisibility } from '@bpfkit/elf';
import type { BtfTypeDraft } from './encode.js';
import { BtfError } from './errors.js';
import { FuncLinkage, VarLinkage } from './kinds.js';
import type { Btf } from './spec.js';
import type { BtfDatasec, BtfMember, BtfType, BtfVar } from './types.js';
import { plainType } from './views.js';

/** DATASECs whose layout the loader computes itself (externs), left alone by {@link fixupDatasecs}. */
const externSections = new Set(['.kconfig', '.ksyms']);

/**
 * The DATASEC fix-up of an object's BTF, as libbpf makes it at open: each DATASEC of size 0
 * gets its ELF section's size, and each global VAR the offset of its ELF symbol (a linked
 * object has both already); in every DATASEC, hidden and internal globals become static and
 * entries are sorted by offset. `.kconfig` and `.ksyms` are left to the extern layout. Only
 * the DATASECs and the VARs they change are decoded: what opening an object needs.
 */
export interface DatasecFixup {
  /** The type with `id` after the fix-up (the BTF's own type when the fix-up leaves it). */
  type(id: number): BtfType;
  /** The first DATASEC called `name`, fixed up; `undefined` when the BTF has none. */
  datasec(name: string): BtfDatasec | undefined;
  /** The types the fix-up made anew, by id: the DATASECs it placed and the VARs it made static. */
  readonly replaced: ReadonlyMap<number, BtfType>;
}

/**
 * The DATASEC fix-up of `btf` against `elf` ({@link DatasecFixup}). Not cached: it decodes
 * only the DATASECs and their variables, and a cache keyed by objects would keep every
 * opened object's types past the young collections (V8 keeps a weak entry whose value
 * reaches its key until a full collection).
 * @throws {@link BtfError} `bad-fixup` naming the DATASEC and variable that cannot be placed.
 */
export function datasecFixup(btf: Btf, elf: ElfFile): DatasecFixup {
  const replaced = new Map<number, BtfType>();
  const byName = new Map<string, BtfDatasec>();
  const typeOf = (id: number): BtfType => replaced.get(id) ?? btf.type(id);
  const fail = (problem: string, datasec: BtfDatasec, field?: string): never => {
    throw new BtfError('bad-fixup', problem, {
      ...(btf.name === undefined ? {} : { object: btf.name }),
      typeId: datasec.id,
      kind: 'datasec',
      ...(field === undefined ? {} : { field }),
    });
  };
  let globals: Map<string, ElfSymbol[]> | undefined;
  for (const type of btf.types('datasec')) {
    const datasec = type as BtfDatasec;
    const fixed = externSections.has(datasec.name) ? datasec : fixDatasec(datasec);
    if (!byName.has(fixed.name)) byName.set(fixed.name, fixed);
  }
  return { type: typeOf, datasec: (name) => byName.get(name), replaced };

  function fixDatasec(datasec: BtfDatasec): BtfDatasec {
    const placed = datasec.size !== 0;
    const section = elf.sectionByName(datasec.name);
    if (section === undefined) {
      if (placed) return datasec;
      fail(`DATASEC '${datasec.name}' has no ELF section of that name`, datasec);
    }
    const sectionIndex = (section as { index: number }).index;
    const vars = datasec.vars.map((entry) => {
      const variable = typeOf(entry.type);
      if (variable.kind !== 'var' || variable.linkage !== VarLinkage.GLOBAL_ALLOCATED) return entry;
      globals ??= globalObjects(elf);
      const symbol = globals.get(variable.name)?.find((s) => s.sectionIndex === sectionIndex);
      if (symbol === undefined) {
        fail(`variable '${variable.name}' has no ELF symbol in '${datasec.name}'`, datasec, variable.name);
      }
      const found = symbol as { value: number; visibility: number };
      if (found.visibility === SymbolVisibility.HIDDEN || found.visibility === SymbolVisibility.INTERNAL) {
        replaced.set(entry.type, { ...plainType(variable), linkage: VarLinkage.STATIC } satisfies BtfVar);
      }
      return placed ? entry : { ...entry, offset: found.value };
    });
    vars.sort((a, b) => a.offset - b.offset);
    const fixed: BtfDatasec = {
      ...plainType(datasec),
      size: placed ? datasec.size : (section as { size: number }).size,
      vars,
    };
    replaced.set(datasec.id, fixed);
    return fixed;
  }
}

/**
 * Every type of `btf` after the DATASEC fix-up ({@link datasecFixup}), as the list the
 * encoder takes (index = id − 1): a fresh array the caller may edit; the `Btf` is not changed.
 * `fixup` is `datasecFixup(btf, elf)` (an object's open has it), computed when not given.
 * @throws {@link BtfError} `bad-fixup` naming the DATASEC and variable that cannot be placed.
 */
export function fixupDatasecs(btf: Btf, elf: ElfFile, fixup: DatasecFixup = datasecFixup(btf, elf)): BtfType[] {
  const types = [...btf.decodeAll()];
  for (const [id, type] of fixup.replaced) types[id - 1] = type;
  return types;
}

/** Global and weak data symbols by name, in symbol table order (a name's first in a section is the one a scan would find). */
function globalObjects(elf: ElfFile): Map<string, ElfSymbol[]> {
  const found = new Map<string, ElfSymbol[]>();
  for (const s of elf.symbols) {
    if (s.type !== SymbolType.OBJECT || (s.bind !== SymbolBinding.GLOBAL && s.bind !== SymbolBinding.WEAK)) continue;
    const list = found.get(s.name);
    if (list === undefined) found.set(s.name, [s]);
    else list.push(s);
  }
  return found;
}

/** What the target kernel's BTF loader understands; a missing feature is sanitised away. */
export interface BtfFeatures {
  /** VAR and DATASEC (5.2). */
  readonly datasec: boolean;
  /** FUNC and FUNC_PROTO (5.0). */
  readonly func: boolean;
  /** Global FUNC linkage (5.6). */
  readonly globalFunc: boolean;
  /** FLOAT (5.13). */
  readonly float: boolean;
  /** DECL_TAG (5.16). */
  readonly declTag: boolean;
  /** TYPE_TAG (5.17). */
  readonly typeTag: boolean;
  /** ENUM64 and signed enums (6.0). */
  readonly enum64: boolean;
}

/** Every feature present: what this project's kernel (6.18) accepts. */
export const allBtfFeatures: BtfFeatures = {
  datasec: true,
  func: true,
  globalFunc: true,
  float: true,
  declTag: true,
  typeTag: true,
  enum64: true,
};

/** Whether a kernel with `features` takes any object's BTF as it is ({@link sanitizeBtf} rewrites nothing). */
export function hasEveryBtfFeature(features: BtfFeatures): boolean {
  return Object.values(features).every((present) => present);
}

/**
 * Rewrites kinds a kernel lacks into ones it knows, keeping every type id and size, by
 * libbpf's rules: VAR → 1-byte INT and DATASEC → STRUCT; FUNC_PROTO → ENUM and FUNC →
 * TYPEDEF; global FUNC → static; FLOAT → empty STRUCT of the same size; DECL_TAG → 1-byte
 * INT; TYPE_TAG → CONST; ENUM64 → UNION of 1-byte placeholders and unsigned ENUMs.
 * Returns a new list (index = id − 1), with at most one type appended.
 */
export function sanitizeBtf(types: readonly BtfType[], features: BtfFeatures): BtfType[] {
  const out = types.slice();
  // A kernel with every feature (any 6.0+) takes the types as they are: no pass over them.
  if (hasEveryBtfFeature(features)) return out;
  let placeholderId = 0;
  const byteInt = (id: number, name: string, nameOffset?: number): BtfType => ({
    id,
    kind: 'int',
    name,
    ...(nameOffset === undefined ? {} : { nameOffset }),
    size: 1,
    bits: 8,
    bitOffset: 0,
    encoding: 0,
  });
  for (let index = 0; index < out.length; index++) {
    const t = out[index] as BtfType;
    const keep = { id: t.id, name: t.name, ...(t.nameOffset === undefined ? {} : { nameOffset: t.nameOffset }) };
    if (!features.datasec && t.kind === 'var') {
      out[index] = byteInt(t.id, t.name, t.nameOffset);
    } else if (!features.datasec && t.kind === 'datasec') {
      const members: BtfMember[] = t.vars.map((v) => ({
        name: types[v.type - 1]?.name ?? '',
        type: v.type,
        bitOffset: v.offset * 8,
        bitfieldSize: 0,
      }));
      out[index] = {
        id: t.id,
        kind: 'struct',
        name: t.name.replace(/[.?]/g, '_'),
        size: t.size,
        bitfieldEncoding: false,
        members,
      };
    } else if (!features.func && t.kind === 'func_proto') {
      out[index] = {
        ...keep,
        kind: 'enum',
        size: 4,
        signed: false,
        values: t.params.map((p) => ({
          name: p.name,
          ...(p.nameOffset === undefined ? {} : { nameOffset: p.nameOffset }),
          value: p.type,
        })),
      };
    } else if (!features.func && t.kind === 'func') {
      out[index] = { ...keep, kind: 'typedef', type: t.type };
    } else if (!features.globalFunc && t.kind === 'func' && t.linkage === FuncLinkage.GLOBAL) {
      out[index] = { ...plainType(t), linkage: FuncLinkage.STATIC };
    } else if (!features.float && t.kind === 'float') {
      out[index] = { id: t.id, kind: 'struct', name: '', size: t.size, bitfieldEncoding: false, members: [] };
    } else if (!features.declTag && t.kind === 'decl_tag') {
      out[index] = byteInt(t.id, t.name, t.nameOffset);
    } else if (!features.typeTag && t.kind === 'type_tag') {
      out[index] = { id: t.id, kind: 'const', name: '', type: t.type };
    } else if (!features.enum64 && t.kind === 'enum' && t.signed) {
      out[index] = { ...plainType(t), signed: false };
    } else if (!features.enum64 && t.kind === 'enum64') {
      if (placeholderId === 0) {
        placeholderId = types.length + 1;
        out.push(byteInt(placeholderId, 'enum64_placeholder'));
      }
      out[index] = {
        ...keep,
        kind: 'union',
        size: t.size,
        bitfieldEncoding: false,
        members: t.values.map((v) => ({
          name: v.name,
          ...(v.nameOffset === undefined ? {} : { nameOffset: v.nameOffset }),
          type: placeholderId,
          bitOffset: 0,
          bitfieldSize: 0,
        })),
      };
    }
  }
  return out;
}

/**
 * Places the variables of DATASEC `section` at offsets computed elsewhere (the loader's
 * `.kconfig` layout): each named VAR becomes global-allocated at its offset, entries are
 * sorted, and the DATASEC takes `size`. Edits `types` in place (index = id − 1); a
 * section that is absent is left alone.
 * @throws {@link BtfError} `bad-fixup` when a variable of the section has no placement.
 */
export function placeDatasecVariables(
  types: BtfType[],
  section: string,
  placements: readonly { readonly name: string; readonly offset: number; readonly size: number }[],
  size: number,
): void {
  const index = types.findIndex((t) => t.kind === 'datasec' && t.name === section);
  const datasec = types[index];
  if (datasec?.kind !== 'datasec') return;
  const vars = datasec.vars.map((entry) => {
    const variable = types[entry.type - 1];
    const placed = placements.find((p) => p.name === variable?.name);
    if (variable?.kind !== 'var' || placed === undefined) {
      throw new BtfError('bad-fixup', `variable '${variable?.name ?? entry.type}' of '${section}' has no placement`, {
        typeId: datasec.id,
        kind: 'datasec',
      });
    }
    types[entry.type - 1] = { ...plainType(variable), linkage: VarLinkage.GLOBAL_ALLOCATED };
    return { ...entry, offset: placed.offset, size: placed.size };
  });
  vars.sort((a, b) => a.offset - b.offset);
  types[index] = { ...plainType(datasec), size, vars };
}

/** Name of the VAR that stands in for kfuncs in `.ksyms`, also given to their unnamed parameters. */
const ksymPlaceholder = '__bpfkit_ksym';

/**
 * Makes an object's `.ksyms` DATASEC loadable, as libbpf does: the kernel accepts neither
 * FUNCs inside a DATASEC, nor extern linkage, nor variables of type void, nor a FUNC with
 * unnamed parameters (`extern int bpf_wq_init(struct bpf_wq *, void *, unsigned int) __ksym`).
 * Every entry becomes a global-allocated `int` variable (kfunc entries share one added
 * `__bpfkit_ksym` VAR), laid out 4 bytes apart; kfunc FUNCs become global and their unnamed
 * parameters take that VAR's name. Edits `types` in place (index = id − 1), appending at
 * most an INT and a VAR; an object without `.ksyms` is left alone.
 */
export function fixupKsyms(types: BtfType[]): void {
  const index = types.findIndex((t) => t.kind === 'datasec' && t.name === '.ksyms');
  const datasec = types[index];
  if (datasec?.kind !== 'datasec') return;
  const add = (type: BtfTypeDraft): number => {
    const id = types.length + 1;
    types.push({ ...type, id } as BtfType);
    return id;
  };
  const intId =
    types.find((t) => t.kind === 'int' && t.name === 'int' && t.size === 4)?.id ??
    add({ kind: 'int', name: 'int', size: 4, bits: 32, bitOffset: 0, encoding: 1 });
  let dummyVar: number | undefined;
  const vars = datasec.vars.map((entry, i) => {
    const type = types[entry.type - 1];
    let varId = entry.type;
    if (type?.kind === 'func') {
      types[entry.type - 1] = { ...plainType(type), linkage: FuncLinkage.GLOBAL };
      dummyVar ??= add({ kind: 'var', name: ksymPlaceholder, type: intId, linkage: VarLinkage.GLOBAL_ALLOCATED });
      varId = dummyVar;
      nameParameters(types, type.type);
    } else if (type?.kind === 'var') {
      types[entry.type - 1] = { ...plainType(type), type: intId, linkage: VarLinkage.GLOBAL_ALLOCATED };
    }
    return { ...entry, type: varId, offset: i * 4, size: 4 };
  });
  types[index] = { ...plainType(datasec), size: vars.length * 4, vars };
}

/** Names every unnamed, typed parameter of FUNC_PROTO `protoId` (the kernel refuses a FUNC with one). */
function nameParameters(types: BtfType[], protoId: number): void {
  const proto = types[protoId - 1];
  if (proto?.kind !== 'func_proto' || proto.params.every((p) => p.name !== '' || p.type === 0)) return;
  const params = proto.params.map((p) => (p.name === '' && p.type !== 0 ? { name: ksymPlaceholder, type: p.type } : p));
  types[protoId - 1] = { ...plainType(proto), params };
}
