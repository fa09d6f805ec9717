import type { Btf, BtfExt } from '@bpfkit/btf';
import { decodeUtf8, type ElfFile } from '@bpfkit/elf';
import type { MapSpec } from '@bpfkit/maps';
import { attachTypeName, programTypeName } from '@bpfkit/uapi';
import { coreKindNames } from './core/kinds.js';
import { RelocError } from './errors.js';
import { type MissingExtInfo, recordsBySection, type SectionRecords } from './ext-info.js';
import { linkProgram } from './link.js';
import { plannedProgram } from './plan-code.js';
import { coreRelocationsOf, mapReferencesOf, type ProgramInstruction } from './program-instruction.js';
import { kernelProgramName } from './program-name.js';
import { entryPoints, readSectionCode } from './programs.js';
import { classifySection, type SectionKind } from './section-names.js';

/**
 * Everything needed to load one program except what the kernel decides: the final
 * instructions with subprograms appended and calls fixed, each carrying the map or extern it
 * refers to, its func and line info and its CO-RE relocation. Fields are adjustable before load (`autoload`, `attachTarget`, `attachProgramFd`).
 * From `planPrograms`, `instructions`, `subprograms` and `missingExtInfo` are getters that link
 * the program on first read (a copy spread from the plan lacks them), which throws a
 * {@link RelocError} for a program that cannot link.
 */
export interface ProgramPlan {
  /** Entry function name. */
  readonly name: string;
  /** Name given to the kernel: {@link kernelProgramName} of `name` (at most 15 characters of `[A-Za-z0-9_.]`). */
  readonly kernelName: string;
  /** ELF section, e.g. `xdp` or `raw_tp/sys_enter`. */
  readonly section: string;
  /** What the section name means; `undefined` when no libbpf convention matches. */
  readonly kind: SectionKind | undefined;
  /** Whether the loader loads it (false for `?`-prefixed sections, or when turned off). */
  autoload: boolean;
  /**
   * Attach target from the section name, adjustable before load: for BTF-attach programs
   * the kernel function, hook, tracepoint or iterator whose BTF id the load names
   * (`module:name` searches one module's BTF).
   */
  attachTarget: string;
  /**
   * A loaded BPF program to attach to instead of the kernel: a `freplace` program needs one,
   * and `fentry`/`fexit` may aim at one; `attachTarget` names its function (libbpf's
   * `bpf_program__set_attach_target`).
   */
  attachProgramFd?: number;
  /** Content of the `license` section. */
  readonly license: string;
  /**
   * Content of the `version` section, `undefined` when absent (the loader then sends the
   * running kernel's version code as `kern_version`, as libbpf does).
   */
  readonly kernelVersion: number | undefined;
  /**
   * Final instructions, as compiled (map references hold 0, CO-RE relocations the compiled
   * values), each with its metadata; the values are written at load (`writeInstructions`).
   */
  readonly instructions: readonly ProgramInstruction[];
  /** Subprograms appended, in order, with where each starts. */
  readonly subprograms: readonly {
    /** The subprogram's name. */
    readonly name: string;
    /** Its first instruction's index in the final program. */
    readonly start: number;
  }[];
  /** A subprogram lacking func or line info its entry point has; the load refuses such a program. */
  readonly missingExtInfo: MissingExtInfo | undefined;
}

/** Options for {@link planPrograms}. */
export interface PlanOptions {
  /** `.BTF.ext` of the object: func/line info and CO-RE records (as `readObjectBtf` gives it, absent or not). */
  readonly ext?: BtfExt | undefined;
  /** The object's BTF: `exception_callback:` decl tags name subprograms to append. */
  readonly btf?: Btf;
}

function license(elf: ElfFile): string {
  const section = elf.sectionByName('license');
  if (section === undefined) return '';
  const data = section.data;
  const end = data.indexOf(0);
  return decodeUtf8(end < 0 ? data : data.subarray(0, end));
}

function kernelVersion(elf: ElfFile): number | undefined {
  const section = elf.sectionByName('version');
  if (section === undefined) return undefined;
  if (section.size !== 4) {
    throw new RelocError('bad-program', `section 'version' holds ${section.size} bytes, not one u32`, {
      ...(elf.name === undefined ? {} : { object: elf.name }),
      section: 'version',
    });
  }
  const data = section.data;
  return new DataView(data.buffer, data.byteOffset, 4).getUint32(0, elf.littleEndian);
}

const EXCEPTION_CALLBACK = 'exception_callback:';

/**
 * Each program's exception callback, from `exception_callback:<subprogram>` decl tags on
 * program functions (`__exception_cb`): program name → subprogram name.
 */
function exceptionCallbacks(btf: Btf | undefined): Map<string, string> {
  const callbacks = new Map<string, string>();
  if (btf === undefined) return callbacks;
  // Through the kind table: only the decl tags are read.
  for (const tag of btf.types('decl_tag')) {
    if (tag.kind !== 'decl_tag' || tag.componentIndex !== -1 || !tag.name.startsWith(EXCEPTION_CALLBACK)) continue;
    const callback = tag.name.slice(EXCEPTION_CALLBACK.length);
    if (btf.kindOf(tag.type) === 'func' && callback !== '') callbacks.set(btf.nameOf(tag.type), callback);
  }
  return callbacks;
}

/**
 * A plan for every program of the object: entry points in code sections other than `.text`,
 * each linked with the subprograms it reaches, map references resolved against `maps`.
 * A program is linked on first need, as libbpf links at load only the programs it loads:
 * when its `instructions`, `subprograms` or `missingExtInfo` are first read, or by
 * `linkPlan`; `maps` is read then.
 * @throws {@link RelocError} for sections or functions that cannot be read; reading a
 * linked field throws it for a relocation or call that cannot be applied.
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { readObjectBtf } from '@bpfkit/btf';
 * import { parseElf } from '@bpfkit/elf';
 * import { resolveMaps } from '@bpfkit/maps';
 * import { describePlan, disassemble, planPrograms } from '@bpfkit/reloc';
 *
 * const elf = parseElf(new Uint8Array(readFileSync('probe.bpf.o')), { name: 'probe.bpf.o' });
 * const { btf, ext } = readObjectBtf(elf)!;
 * for (const plan of planPrograms(elf, resolveMaps(elf, btf), { btf, ext })) {
 *   console.log(describePlan(plan).join('\n'));
 *   console.log(disassemble(plan.instructions).join('\n'));
 * }
 * ```
 */
export function planPrograms(elf: ElfFile, maps: readonly MapSpec[], options: PlanOptions = {}): ProgramPlan[] {
  const { ext, btf } = options;
  const code = readSectionCode(elf);
  const lic = license(elf);
  const version = kernelVersion(elf);
  // Read for the first program linked: what every program's linking shares.
  let shared: { records: ReadonlyMap<string, SectionRecords>; callbacks: ReadonlyMap<string, string> } | undefined;
  return entryPoints(elf, code).map((entry) => {
    const kind = classifySection(entry.section.name);
    // The program is linked on first need (its instructions read, or its load), as libbpf
    // links at load only the programs it loads.
    const fields = {
      name: entry.name,
      kernelName: kernelProgramName(entry.name),
      section: entry.section.name,
      kind,
      autoload: kind?.autoload ?? true,
      attachTarget: kind?.target ?? '',
      license: lic,
      kernelVersion: version,
    };
    return plannedProgram(fields, () => {
      shared ??= { records: recordsBySection(ext), callbacks: exceptionCallbacks(btf) };
      return linkProgram(elf, code, entry, maps, shared.records, shared.callbacks.get(entry.name));
    });
  });
}

/**
 * The plan's kind, or a `RelocError` explaining that the section name matches no
 * convention (libbpf fails such programs at load with "missing BPF prog type").
 */
export function requireKind(plan: ProgramPlan, object?: string): SectionKind {
  if (plan.kind !== undefined) return plan.kind;
  throw new RelocError(
    'unknown-section',
    `section '${plan.section}' names no program type; use a libbpf section name such as 'xdp', 'tc', 'socket', 'kprobe/<function>' or 'tracepoint/<category>/<name>'`,
    { ...(object === undefined ? {} : { object }), program: plan.name, section: plan.section },
  );
}

/** A human-readable summary of a plan: type, size, subprograms, map references. */
export function describePlan(plan: ProgramPlan): string[] {
  const kind = plan.kind;
  const lines = [
    `prog '${plan.name}': section '${plan.section}', type ${kind ? programTypeName(kind.programType) : 'unknown'}, attach ${attachTypeName(kind?.expectedAttachType)}, ${plan.instructions.length} insns${plan.autoload ? '' : ', autoload off'}`,
  ];
  for (const s of plan.subprograms)
    lines.push(`prog '${plan.name}': subprogram '${s.name}' appended at insn ${s.start}`);
  for (const r of coreRelocationsOf(plan.instructions)) {
    lines.push(
      `prog '${plan.name}': insn #${r.insn}: CO-RE ${coreKindNames[r.relo.kind] ?? r.relo.kind} of [${r.relo.typeId}] ${r.relo.accessString}, resolved at load`,
    );
  }
  for (const r of mapReferencesOf(plan.instructions)) {
    lines.push(
      r.kind === 'map-fd'
        ? `prog '${plan.name}': insn #${r.insn} refers to map '${r.map}'`
        : `prog '${plan.name}': insn #${r.insn} refers to map '${r.map}' value + ${r.offset}`,
    );
  }
  return lines;
}
