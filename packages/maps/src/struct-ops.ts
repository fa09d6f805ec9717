import {
  type Btf,
  type BtfComposite,
  type BtfType,
  type DatasecFixup,
  datasecFixup,
  resolveType,
  sizeOf,
} from '@bpfkit/btf';
import { type ElfFile, SectionFlag, SymbolType } from '@bpfkit/elf';
import { MapFlag, MapType } from '@bpfkit/uapi';
import { MapError, type MapErrorCode } from './errors.js';
import { kernelMapName } from './names.js';
import { type MapSpec, makeMapSpec } from './spec.js';

/** A function-pointer member of a struct_ops variable set to a program (`.init = (void *)my_init`). */
export interface StructOpsProgram {
  /** The member's name in the object's struct. */
  readonly member: string;
  /** The entry-point program it points to. */
  readonly program: string;
}

/** What the object says about a struct_ops map; the kernel's layout is found at load ({@link layoutStructOps}). */
export interface StructOpsDefinition {
  /** The object's struct type id (the variable's type, typedefs and qualifiers skipped). */
  readonly typeId: number;
  /** Its name, e.g. `tcp_congestion_ops`; a `___flavor` suffix is dropped to find the kernel's. */
  readonly typeName: string;
  /** The variable's bytes, laid out as the object's struct (function pointers hold nothing useful). */
  readonly data: Uint8Array;
  /** Function-pointer members set to programs, from the section's relocations. */
  readonly programs: readonly StructOpsProgram[];
}

/** Sections holding struct_ops variables: `.link` ones are registered through a link (`BPF_F_LINK`). */
const structOpsSection = /^\??\.struct_ops(\.link)?$/;

/** A struct_ops program's section: `struct_ops`, `struct_ops.s`, optionally `/name`, optionally `?`-prefixed. */
const structOpsProgramSection = /^\??struct_ops(\.s)?(\/|$)/;

/**
 * One `BPF_MAP_TYPE_STRUCT_OPS` map per variable of `.struct_ops` and `.struct_ops.link`,
 * as libbpf makes them: named after the variable, key 4 bytes, one entry, `BPF_F_LINK` for
 * `.link` sections, the object's struct as definition (its value size is replaced by the
 * kernel's value type at load), and the function pointers the section's relocations set to
 * `struct_ops` programs. `fixup` is `datasecFixup(btf, elf)`, computed when not given.
 * @throws {@link MapError} for a section without BTF, a variable that is not a named struct,
 * or a relocation that does not set a function pointer to a struct_ops program.
 */
export function readStructOpsMaps(
  elf: ElfFile,
  btf: Btf | undefined,
  fixup: DatasecFixup | undefined = btf === undefined ? undefined : datasecFixup(btf, elf),
): MapSpec[] {
  const specs: MapSpec[] = [];
  for (const section of elf.sections) {
    if (!structOpsSection.test(section.name)) continue;
    const where = { ...(elf.name === undefined ? {} : { object: elf.name }), section: section.name };
    const fail = (code: MapErrorCode, problem: string, extra: Partial<MapError['context']> = {}): never => {
      throw new MapError(code, problem, { ...where, ...extra });
    };
    if (btf === undefined) fail('missing-btf', 'struct_ops variables need the BTF that describes their struct');
    const datasec = fixup?.datasec(section.name);
    if (datasec?.kind !== 'datasec') fail('missing-btf', `BTF has no DATASEC '${section.name}'`);
    const own = btf as Btf;
    const definitions: { spec: MapSpec; offset: number; struct: BtfComposite; programs: StructOpsProgram[] }[] = [];
    for (const entry of (datasec as Extract<BtfType, { kind: 'datasec' }>).vars) {
      const variable = own.type(entry.type);
      const name = variable.name;
      const struct = variable.kind === 'var' ? resolveType(own, variable.type) : variable;
      if (struct.kind !== 'struct' || struct.name === '') {
        fail('bad-definition', 'a struct_ops variable must be a named struct', { map: name });
      }
      const type = struct as BtfComposite;
      if (entry.offset + type.size > section.size || section.isNoBits) {
        fail('bad-definition', `the variable runs past the end of the section (${section.size} bytes)`, {
          map: name,
          offset: entry.offset,
        });
      }
      const programs: StructOpsProgram[] = [];
      const link = section.name.endsWith('.link');
      definitions.push({
        offset: entry.offset,
        struct: type,
        programs,
        spec: makeMapSpec({
          name,
          kernelName: kernelMapName(name),
          source: 'struct_ops',
          section: section.name,
          sectionOffset: entry.offset,
          type: MapType.STRUCT_OPS,
          keySize: 4,
          valueSize: type.size,
          maxEntries: 1,
          flags: link ? MapFlag.LINK : 0,
          structOps: {
            typeId: type.id,
            typeName: type.name,
            data: section.data.slice(entry.offset, entry.offset + type.size),
            programs,
          },
        }),
      });
    }
    readFunctionPointers(elf, section.index, own, definitions, fail);
    specs.push(...definitions.map((d) => d.spec));
  }
  return specs;
}

/** Reads the relocations of a struct_ops section: each sets a function-pointer member to a program. */
function readFunctionPointers(
  elf: ElfFile,
  sectionIndex: number,
  btf: Btf,
  definitions: readonly { offset: number; struct: BtfComposite; programs: StructOpsProgram[]; spec: MapSpec }[],
  fail: (code: MapErrorCode, problem: string, extra?: Partial<MapError['context']>) => never,
): void {
  for (const relocation of elf.relocationsFor(sectionIndex)?.entries ?? []) {
    const at = relocation.offset;
    const symbol = elf.symbol(relocation.symbol);
    const owner = definitions.find((d) => d.offset <= at && at < d.offset + d.struct.size);
    if (owner === undefined) fail('bad-slot-relocation', `no struct_ops variable holds offset ${at}`, { offset: at });
    const { spec, struct } = owner as (typeof definitions)[number];
    const bitOffset = (at - (owner as (typeof definitions)[number]).offset) * 8;
    const member = struct.members.find((m) => m.bitOffset === bitOffset);
    const context = { map: spec.name, offset: at, target: symbol.name };
    if (member === undefined)
      fail('bad-slot-relocation', `no member of '${struct.name}' starts at offset ${at}`, context);
    const field = member as BtfComposite['members'][number];
    if (!isFunctionPointer(btf, field.type)) {
      fail('bad-slot-relocation', `member '${field.name}' is not a function pointer`, {
        ...context,
        field: field.name,
      });
    }
    const section = elf.sections[symbol.sectionIndex];
    const program =
      symbol.type === SymbolType.FUNC
        ? symbol
        : elf.symbols.find(
            (s) => s.type === SymbolType.FUNC && s.sectionIndex === symbol.sectionIndex && s.value === symbol.value,
          );
    if (
      section === undefined ||
      (section.flags & SectionFlag.EXECINSTR) === 0 ||
      program === undefined ||
      symbol.value % 8 !== 0
    ) {
      fail('slot-not-a-program', `member '${field.name}' points to '${symbol.name}', which is not a program`, {
        ...context,
        field: field.name,
      });
    }
    if (!structOpsProgramSection.test((section as { name: string }).name)) {
      fail(
        'slot-not-a-program',
        `member '${field.name}' points to program '${program?.name}' of section '${section?.name}', not a struct_ops program`,
        { ...context, field: field.name },
      );
    }
    (owner as (typeof definitions)[number]).programs.push({ member: field.name, program: program?.name as string });
  }
}

/** True when `id` is a pointer (through typedefs and qualifiers) to a function prototype. */
function isFunctionPointer(btf: Btf, id: number): boolean {
  const type = resolveType(btf, id);
  return type.kind === 'ptr' && resolveType(btf, type.type).kind === 'func_proto';
}

/** One program of a struct_ops map, placed in the kernel's struct. */
export interface StructOpsMemberProgram {
  /** The program. */
  readonly program: string;
  /** The member, by name. */
  readonly member: string;
  /** The member's index in the kernel's struct: the program's `expected_attach_type`. */
  readonly memberIndex: number;
  /** Byte offset in the map value where the program's fd goes (8 bytes). */
  readonly valueOffset: number;
}

/** A struct_ops map laid out as the kernel wants its value. */
export interface StructOpsLayout {
  /** The kernel BTF (vmlinux or a module's) holding the struct. */
  readonly btf: Btf;
  /** The kernel's struct id (e.g. `tcp_congestion_ops`): every program's `attach_btf_id`. */
  readonly kernelTypeId: number;
  /** The kernel's value type id (`bpf_struct_ops_tcp_congestion_ops`): `btf_vmlinux_value_type_id`. */
  readonly valueTypeId: number;
  /** The map value: the kernel's value type, data members copied, function pointers zero. */
  readonly value: Uint8Array;
  /** Programs to write into the value once loaded. */
  readonly programs: readonly StructOpsMemberProgram[];
}

/** Prefix of the kernel's wrapper type around a struct_ops struct. */
const VALUE_TYPE_PREFIX = 'bpf_struct_ops_';

/**
 * Lays a struct_ops map out against the kernel's BTFs, searched in order (vmlinux, then
 * modules), as libbpf does at load: the kernel's `bpf_struct_ops_<name>` value type gives
 * the value size and holds the struct as a member; each member of the object's struct is
 * found by name in the kernel's struct; data members are copied (sizes must agree),
 * function-pointer members record their program, member index and value offset. A member
 * the kernel lacks is skipped while it is zero and set to no program.
 * @throws {@link MapError} `missing-type` when no kernel BTF has the struct, `bad-definition`
 * for a member that cannot be placed.
 */
export function layoutStructOps(spec: MapSpec, btf: Btf, kernelBtfs: readonly Btf[], object?: string): StructOpsLayout {
  const definition = spec.structOps;
  const fail = (code: MapErrorCode, problem: string, field?: string, hint?: string): never => {
    throw new MapError(
      code,
      problem,
      {
        ...(object === undefined ? {} : { object }),
        section: spec.section,
        map: spec.name,
        ...(field === undefined ? {} : { field }),
      },
      { hint },
    );
  };
  if (definition === undefined) return fail('bad-definition', 'not a struct_ops map');
  const own = btf.type(definition.typeId) as BtfComposite;
  const name = definition.typeName.replace(/___.*$/, '');
  const found = findKernelTypes(kernelBtfs, name);
  if (found === undefined) {
    return fail(
      'missing-type',
      `struct ${VALUE_TYPE_PREFIX}${name} is not found in the kernel's BTF: this kernel has no struct_ops '${name}'`,
      undefined,
      `struct_ops types come from the kernel or a loaded module: load the module that registers '${name}', or run on a kernel that has it`,
    );
  }
  const { btf: kernel, struct, valueType, dataOffset } = found;
  const value = new Uint8Array(valueType.size);
  const programs: StructOpsMemberProgram[] = [];
  own.members.forEach((member) => {
    const offset = member.bitOffset / 8;
    const size = sizeOf(btf, member.type);
    const bytes = definition.data.subarray(offset, offset + size);
    const program = definition.programs.find((p) => p.member === member.name)?.program;
    const index = struct.members.findIndex((m) => m.name === member.name);
    if (index < 0) {
      if (program !== undefined || bytes.some((b) => b !== 0))
        fail('bad-definition', `member '${member.name}' is not in the kernel's struct ${name}`, member.name);
      return;
    }
    const kernelMember = struct.members[index] as BtfComposite['members'][number];
    if (member.bitfieldSize !== 0 || kernelMember.bitfieldSize !== 0)
      fail('bad-definition', `member '${member.name}' is a bitfield, which struct_ops cannot set`, member.name);
    const ownType = resolveType(btf, member.type);
    const kernelType = resolveType(kernel, kernelMember.type);
    if (ownType.kind !== kernelType.kind) {
      fail(
        'bad-definition',
        `member '${member.name}' is a ${ownType.kind} here but a ${kernelType.kind} in the kernel`,
        member.name,
      );
    }
    const valueOffset = dataOffset + kernelMember.bitOffset / 8;
    if (ownType.kind === 'ptr') {
      if (program === undefined) return;
      if (!isFunctionPointer(kernel, kernelMember.type))
        fail('bad-definition', `member '${member.name}' is not a function pointer in the kernel`, member.name);
      programs.push({ program, member: member.name, memberIndex: index, valueOffset });
      return;
    }
    const kernelSize = sizeOf(kernel, kernelMember.type);
    if (kernelSize !== size) {
      fail(
        'bad-definition',
        `member '${member.name}' is ${size} bytes here but ${kernelSize} in the kernel`,
        member.name,
      );
    }
    value.set(bytes, valueOffset);
  });
  return { btf: kernel, kernelTypeId: struct.id, valueTypeId: valueType.id, value, programs };
}

/** The kernel's struct `name` and its value wrapper, from the first BTF having the wrapper. */
function findKernelTypes(
  kernelBtfs: readonly Btf[],
  name: string,
): { btf: Btf; struct: BtfComposite; valueType: BtfComposite; dataOffset: number } | undefined {
  for (const btf of kernelBtfs) {
    const valueType = btf.byName(`${VALUE_TYPE_PREFIX}${name}`, 'struct');
    const struct = btf.byName(name, 'struct');
    if (valueType?.kind !== 'struct' || struct?.kind !== 'struct') continue;
    const data = valueType.members.find((m) => m.type === struct.id);
    if (data === undefined) continue;
    return { btf, struct, valueType, dataOffset: data.bitOffset / 8 };
  }
  return undefined;
}

/** How a struct_ops program loads: against the kernel's struct and one of its members. */
export interface StructOpsAttach {
  /** `attach_btf_id`: the kernel's struct. */
  readonly attachBtfId: number;
  /** `expected_attach_type`: the member's index in that struct. */
  readonly memberIndex: number;
  /** The kernel BTF holding the struct. */
  readonly btf: Btf;
}

/**
 * What each program of the laid-out struct_ops maps loads with. A program may serve several
 * maps only through the same member of the same kernel struct, as the kernel loads it once.
 * @throws {@link MapError} `bad-definition` for a program set on two different members.
 */
export function structOpsAttachments(
  layouts: ReadonlyMap<string, StructOpsLayout>,
  object?: string,
): Map<string, StructOpsAttach> {
  const attachments = new Map<string, StructOpsAttach>();
  for (const [map, layout] of layouts) {
    for (const p of layout.programs) {
      const earlier = attachments.get(p.program);
      if (earlier === undefined) {
        attachments.set(p.program, { attachBtfId: layout.kernelTypeId, memberIndex: p.memberIndex, btf: layout.btf });
      } else if (
        earlier.attachBtfId !== layout.kernelTypeId ||
        earlier.memberIndex !== p.memberIndex ||
        earlier.btf !== layout.btf
      ) {
        throw new MapError(
          'bad-definition',
          `member '${p.member}' reuses program '${p.program}', which another struct_ops member already uses: a program serves one member of one struct`,
          { ...(object === undefined ? {} : { object }), map, field: p.member, target: p.program },
        );
      }
    }
  }
  return attachments;
}

/**
 * The value a struct_ops map is registered with: the layout's value with each program's fd
 * written into its function pointer (8 bytes, in the host's byte order), as the kernel reads
 * it on BPF_MAP_UPDATE_ELEM. `fdOf` gives a loaded program's fd.
 */
export function structOpsValue(
  layout: StructOpsLayout,
  fdOf: (program: string) => number,
  littleEndian: boolean,
): Uint8Array {
  const value = layout.value.slice();
  const view = new DataView(value.buffer);
  for (const p of layout.programs) view.setBigUint64(p.valueOffset, BigInt(fdOf(p.program)), littleEndian);
  return value;
}
