import type { Btf } from '@bpfkit/btf';
import {
  layoutStructOps,
  MapError,
  type MapSpec,
  type StructOpsAttach,
  type StructOpsLayout,
  structOpsAttachments,
  structOpsValue,
} from '@bpfkit/maps';
import { moduleName, type ProgramPlan } from '@bpfkit/reloc';
import { type Fd, isLittleEndianHost } from '@bpfkit/syscall';
import { LoadError } from './errors.js';
import type { BpfProgram } from './handles.js';
import type { LoadLogger } from './log.js';
import type { ModuleBtfFds } from './module-btf-fds.js';

/** The object's struct_ops maps laid out against the running kernel, and what their programs load with. */
export interface StructOpsPlan {
  /** Each struct_ops map's layout, by map name. */
  readonly layouts: ReadonlyMap<string, StructOpsLayout>;
  /** Each struct_ops program's `attach_btf_id` and member index, by program name. */
  readonly attachments: ReadonlyMap<string, StructOpsAttach>;
  /** The kernel BTF searched first (vmlinux): a layout or attachment whose `btf` is another one is a module's. */
  readonly kernel: Btf | undefined;
}

/**
 * Lays every struct_ops map out against the kernel's BTF, then its modules' (`targets`, in
 * that order), before maps are created, as libbpf does at load: the spec takes the kernel's
 * value size and value type id, and every program a map points to loads (whatever its
 * `?`), against the member it is set on.
 * @throws {@link LoadError} `create-map` naming the map when the kernel lacks its struct or a member does not fit.
 */
export function prepareStructOps(
  object: string,
  maps: readonly MapSpec[],
  programs: readonly ProgramPlan[],
  btf: Btf | undefined,
  targets: () => readonly Btf[],
  log: LoadLogger,
): StructOpsPlan {
  const layouts = new Map<string, StructOpsLayout>();
  const structOps = maps.filter((m) => m.structOps !== undefined);
  if (structOps.length === 0 || btf === undefined) return { layouts, attachments: new Map(), kernel: undefined };
  try {
    const kernelBtfs = targets();
    for (const spec of structOps) {
      const layout = layoutStructOps(spec, btf, kernelBtfs, object);
      spec.valueSize = layout.value.length;
      spec.btfVmlinuxValueTypeId = layout.valueTypeId;
      layouts.set(spec.name, layout);
      log(
        `struct_ops '${spec.name}': kernel struct [${layout.kernelTypeId}], value type [${layout.valueTypeId}] of ${layout.value.length} bytes${layout.btf === kernelBtfs[0] ? '' : ` in module ${moduleName(layout.btf)}`}`,
      );
      for (const p of layout.programs)
        log(`struct_ops '${spec.name}': member '${p.member}' (#${p.memberIndex}) set to prog '${p.program}'`);
    }
    const attachments = structOpsAttachments(layouts, object);
    for (const plan of programs) if (attachments.has(plan.name)) plan.autoload = true;
    return { layouts, attachments, kernel: kernelBtfs[0] };
  } catch (error) {
    if (!MapError.is(error)) throw error;
    throw new LoadError(
      'create-map',
      "lay out the struct_ops value against the kernel's BTF",
      { object, ...(error.context.map === undefined ? {} : { map: error.context.map }) },
      { cause: error },
    );
  }
}

/**
 * The BTF object of the module that defines each struct_ops map's value type (none for
 * types in vmlinux), opened through `moduleFds`: what the map is created with.
 */
export function structOpsModuleFds(plan: StructOpsPlan, moduleFds: ModuleBtfFds): Map<string, Fd> {
  const fds = new Map<string, Fd>();
  for (const [map, layout] of plan.layouts) if (layout.btf !== plan.kernel) fds.set(map, moduleFds.fd(layout.btf));
  return fds;
}

/**
 * The value each struct_ops map registers with, its programs' fds written in: what
 * `BPF_MAP_UPDATE_ELEM` (or a struct_ops link) takes once the programs are loaded.
 */
export function structOpsValues(
  plan: StructOpsPlan,
  programs: ReadonlyMap<string, BpfProgram>,
): Map<string, Uint8Array> {
  const values = new Map<string, Uint8Array>();
  for (const [map, layout] of plan.layouts) {
    values.set(
      map,
      structOpsValue(layout, (name) => programs.get(name)?.fd ?? 0, isLittleEndianHost),
    );
  }
  return values;
}
