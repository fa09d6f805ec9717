import type { Link as BpfLink } from '@bpfkit/link';
import type { MapSpec, StructOpsAttach } from '@bpfkit/maps';
import {
  type AttachBtfSource,
  attachProgramFd,
  encodeFuncInfo,
  encodeLineInfo,
  type KsymDecision,
  loadAttachType,
  locateVerifierFailure,
  type MapReferenceMode,
  mapsBoundToPrograms,
  needsAttachBtf,
  type ProgramPlan,
  programCode,
  type RelocatedProgram,
  RelocError,
  requireExtInfo,
  requireKind,
  resolveAttachBtf,
  resolveAttachProgramBtf,
  type WrittenProgram,
  writeProgram,
  writeProgramCode,
} from '@bpfkit/reloc';
import { runningVersionCode } from '@bpfkit/reloc/node';
import {
  BpfSyscallError,
  bindMap,
  type Fd,
  failingInstruction,
  isLittleEndianHost,
  type LoadedProgram,
  mapUpdate,
  type ProgramLoadOptions,
  uprobeMultiLinkSupported,
} from '@bpfkit/syscall';
import { ProgramType } from '@bpfkit/uapi';
import { u32s } from './bytes.js';
import { LoadError } from './errors.js';
import type { ObjectUsdtMaps } from './execute-attach.js';
import { BpfProgram } from './handles.js';
import { loadedProgramBtf } from './kernel-btf.js';
import type { LoadLogger } from './log.js';
import type { ModuleBtfFds } from './module-btf-fds.js';
import type { ResourceScope } from './scope.js';

/** What program loading needs from the object. */
export interface ProgramLoading {
  readonly object: string | undefined;
  readonly programs: readonly ProgramPlan[];
  /** The CO-RE fix-ups of each program, written into its instructions at load. */
  readonly core?: ReadonlyMap<string, RelocatedProgram>;
  /** The resolved `__ksym` externs of each program, written into its instructions at load. */
  readonly ksyms?: ReadonlyMap<string, readonly KsymDecision[]>;
  readonly maps: readonly MapSpec[];
  readonly mapFds: ReadonlyMap<string, Fd>;
  readonly btfFd: Fd | undefined;
  readonly scope: ResourceScope;
  readonly log: LoadLogger;
  /** Verifier log level to request on success (0: only on failure). */
  readonly verifierLogLevel: number;
  /** How instructions refer to maps: fds in the instruction, or indexes into an fd_array. */
  readonly mapReferences: MapReferenceMode;
  /** What every fd_array starts with (module BTF fds for kfunc calls), before any map index. */
  readonly fdArrayPrefix?: readonly number[];
  /** The kernel BTFs BTF-attach programs name their targets in (read on first need). */
  readonly attachSource: () => AttachBtfSource;
  /** What each struct_ops program loads against: a kernel struct and one member of it. */
  readonly structOps?: ReadonlyMap<string, StructOpsAttach>;
  /** Module BTF objects, for `attach_btf_obj_fd`. */
  readonly moduleFds: ModuleBtfFds;
  /** Hands links made by `attach()` to the object, which closes them. */
  readonly adopt: (link: BpfLink) => void;
  /** The object's USDT maps, described once for every USDT attach of its programs. */
  readonly usdtMaps: ObjectUsdtMaps;
  /** Whether attachments pass BPF cookies (USDT spec ids), as `LINUX_HAS_BPF_COOKIE` told the programs. */
  readonly bpfCookies: () => boolean;
}

/** Explains a verifier rejection: the failing instruction, its source line, and the log's last words. */
function verifierError(
  plan: ProgramPlan,
  error: BpfSyscallError,
  object: string | undefined,
  core: RelocatedProgram | undefined,
): LoadError {
  const failure = locateVerifierFailure(failingInstruction(error.log), plan.instructions, core?.fixups);
  const { insn, line } = failure;
  const source = failure.where === '' ? '' : ` (${failure.where})`;
  const context = {
    ...(object === undefined ? {} : { object }),
    program: plan.name,
    errno: error.errnoName,
    ...(insn === undefined ? {} : { insn }),
    ...(line === undefined ? {} : { source: { file: line.fileName, line: line.line, text: line.source } }),
  };
  if (failure.core !== undefined) {
    return new LoadError(
      'load-program',
      `failed to resolve CO-RE relocation at insn ${insn}${source}: ${failure.core.explanation}`,
      context,
      { cause: error, causeInMessage: false },
    );
  }
  const last = error.log.filter((l) => l.trim() !== '' && !/^(processed|verification time)/.test(l)).slice(-1)[0];
  const at = insn === undefined ? '' : ` at insn ${insn}`;
  return new LoadError(
    'load-program',
    `BPF program load failed: ${error.errnoName}${at}${source}${last ? `: ${last.trim()}` : ''}`,
    context,
    { cause: error, causeInMessage: false },
  );
}

/**
 * `attach_btf_id` and `attach_btf_obj_fd` (or `attach_prog_fd`) of a BTF-attach program, as
 * libbpf resolves them at load; for a struct_ops program, the kernel struct and the index
 * of the member it is set on (as `expected_attach_type`), and the module's BTF object when a
 * module defines the struct; nothing for other programs.
 */
function attachAttributes(
  plan: ProgramPlan,
  p: ProgramLoading,
): { attachBtfId?: number; attachFd?: number; expectedAttachType?: number } {
  if (plan.kind?.programType === ProgramType.STRUCT_OPS) {
    const member = p.structOps?.get(plan.name);
    if (member === undefined) {
      throw new RelocError(
        'not-found',
        'no struct_ops map points to this struct_ops program: set it on a member of a struct_ops variable',
        { ...(p.object === undefined ? {} : { object: p.object }), program: plan.name, section: plan.section },
      );
    }
    // A struct defined by a module is named in that module's BTF object, as libbpf loads it.
    const inModule = member.btf === p.attachSource().kernel ? {} : { attachFd: p.moduleFds.fd(member.btf).fd };
    return { attachBtfId: member.attachBtfId, expectedAttachType: member.memberIndex, ...inModule };
  }
  if (!needsAttachBtf(plan)) return {};
  const programFd = attachProgramFd(plan, p.object);
  if (programFd !== undefined) {
    const attachBtfId = resolveAttachProgramBtf(plan, loadedProgramBtf(programFd), p.object);
    return { attachBtfId, attachFd: programFd };
  }
  const found = resolveAttachBtf(plan, p.attachSource(), p.object);
  return {
    attachBtfId: found.id,
    ...(found.module === undefined ? {} : { attachFd: p.moduleFds.fd(found.module).fd }),
  };
}

/** Binds the object's read-only data maps (`bound`) to a loaded program, as libbpf does; a refusal is logged, not fatal. */
function bindMaps(p: ProgramLoading, bound: readonly string[], plan: ProgramPlan, program: Fd): void {
  for (const name of bound) {
    const map = p.mapFds.get(name);
    if (map === undefined) continue;
    try {
      bindMap(program.fd, map.fd);
    } catch (error) {
      p.log(`prog '${plan.name}': failed to bind map '${name}': ${(error as Error).message}`);
    }
  }
}

/**
 * Loads every autoload program with its maps' fds patched in, and func/line info when BTF
 * is loaded. A generator: it yields each BPF_PROG_LOAD request and is given the loaded
 * program (or has the call's error thrown in), so a driver runs the calls in place or on a
 * pool thread (see `load-driver.ts`).
 * @throws {@link LoadError}: an unknown section, a verifier rejection (with instruction and source line).
 */
export function* loadPrograms(
  p: ProgramLoading,
): Generator<ProgramLoadOptions, Map<string, BpfProgram>, LoadedProgram> {
  const loaded = new Map<string, BpfProgram>();
  const bound = mapsBoundToPrograms(p.maps);
  for (const plan of p.programs) {
    if (!plan.autoload) {
      p.log(`prog '${plan.name}': autoload off, skipped`);
      continue;
    }
    let kind: ReturnType<typeof requireKind>;
    let attach: ReturnType<typeof attachAttributes>;
    try {
      kind = requireKind(plan, p.object);
      requireExtInfo(plan, p.object);
      attach = attachAttributes(plan, p);
    } catch (error) {
      if (LoadError.is(error)) throw error;
      throw new LoadError(
        'load-program',
        '',
        {
          ...(p.object === undefined ? {} : { object: p.object }),
          program: plan.name,
        },
        { cause: error },
      );
    }
    const expectedAttachType = loadAttachType(kind, { uprobeMultiLink: uprobeMultiLinkSupported });
    const core = p.core?.get(plan.name);
    // The plan's bytes when it has them (no object per instruction), else its instructions.
    const code = programCode(plan);
    let patched: WrittenProgram;
    try {
      const mapFd = (map: string) => p.mapFds.get(map)?.fd;
      const writes = {
        patches: [core?.fixups ?? [], p.ksyms?.get(plan.name) ?? []],
        mode: p.mapReferences,
        fdArrayPrefix: p.fdArrayPrefix ?? [],
        program: plan.name,
        ...(p.object === undefined ? {} : { object: p.object }),
      };
      patched =
        code === undefined
          ? writeProgram(plan.instructions, mapFd, isLittleEndianHost, writes)
          : writeProgramCode(code, mapFd, isLittleEndianHost, writes);
    } catch (error) {
      throw new LoadError(
        'load-program',
        '',
        { ...(p.object === undefined ? {} : { object: p.object }), program: plan.name },
        { cause: error },
      );
    }
    // As libbpf: the program BTF goes with every program once the object's BTF is loaded
    // (kfuncs such as bpf_obj_new need it), func and line info each when the program has them.
    const btfFd = p.btfFd?.fd;
    const funcInfo =
      btfFd === undefined
        ? undefined
        : (code?.funcInfo(isLittleEndianHost) ?? encodeFuncInfo(plan.instructions, isLittleEndianHost));
    const lineInfo =
      btfFd === undefined
        ? undefined
        : (code?.lineInfo(isLittleEndianHost) ?? encodeLineInfo(plan.instructions, isLittleEndianHost));
    try {
      const result = yield {
        name: plan.kernelName,
        type: kind.programType,
        instructions: patched.bytes,
        license: plan.license,
        kernelVersion: plan.kernelVersion ?? runningVersionCode(),
        flags: kind.flags,
        ...(expectedAttachType === undefined ? {} : { expectedAttachType }),
        ...attach,
        ...(btfFd === undefined ? {} : { btfFd }),
        ...(funcInfo === undefined || funcInfo.count === 0
          ? {}
          : { funcInfo: { records: funcInfo.bytes, recordSize: 8, count: funcInfo.count } }),
        ...(lineInfo === undefined || lineInfo.count === 0
          ? {}
          : { lineInfo: { records: lineInfo.bytes, recordSize: 16, count: lineInfo.count } }),
        logLevel: p.verifierLogLevel,
        ...(patched.fdArray.length > 0 ? { fdArray: patched.fdArray } : {}),
      };
      p.scope.own(result.fd);
      bindMaps(p, bound, plan, result.fd);
      loaded.set(
        plan.name,
        new BpfProgram(
          plan,
          result.fd,
          result.log,
          p.adopt,
          p.usdtMaps,
          attach.expectedAttachType ?? expectedAttachType,
          p.bpfCookies,
        ),
      );
      p.log(`prog '${plan.name}': loaded, fd=${result.fd.fd} (${patched.bytes.length / 8} insns)`);
    } catch (error) {
      if (LoadError.is(error)) throw error; // thrown in by the driver (a cancelled load)
      if (BpfSyscallError.is(error) && error.log.length > 0) throw verifierError(plan, error, p.object, core);
      const errno = BpfSyscallError.is(error) ? error.errnoName : undefined;
      throw new LoadError(
        'load-program',
        'BPF program load failed',
        {
          ...(p.object === undefined ? {} : { object: p.object }),
          program: plan.name,
          ...(errno ? { errno } : {}),
        },
        { cause: error },
      );
    }
  }
  return loaded;
}

/** Fills prog-array slots with the fds of the programs they name. */
export function fillProgramSlots(
  p: ProgramLoading,
  programs: ReadonlyMap<string, BpfProgram>,
  slotsByMap: ReadonlyMap<string, readonly { index: number; target: string }[]>,
): void {
  for (const [mapName, slots] of slotsByMap) {
    const map = p.mapFds.get(mapName) as Fd;
    const layout = p.maps.find((spec) => spec.name === mapName) as MapSpec;
    for (const slot of slots) {
      const program = programs.get(slot.target);
      const context = {
        ...(p.object === undefined ? {} : { object: p.object }),
        map: mapName,
        slot: slot.index,
        target: slot.target,
      };
      if (program === undefined) {
        throw new LoadError(
          'fill-program-slots',
          `slot [${slot.index}] names prog '${slot.target}', which was not loaded (autoload off?)`,
          context,
        );
      }
      try {
        mapUpdate(map.fd, u32s([slot.index]), u32s([program.fd]), layout, 0, mapName);
      } catch (error) {
        throw new LoadError(
          'fill-program-slots',
          `set to prog '${slot.target}' (fd ${program.fd})`,
          { ...context, ...(BpfSyscallError.is(error) ? { errno: error.errnoName } : {}) },
          { cause: error },
        );
      }
      p.log(`map '${mapName}': slot [${slot.index}] set to prog '${slot.target}' fd=${program.fd}`);
    }
  }
}
