import {
  assertPinnedMapCompatible,
  type CreationPlan,
  type CreationStep,
  type MapCreateAttributes,
  type MapSlot,
  type MapSpec,
  mapCreateAttributes,
  pinPath,
} from '@bpfkit/maps';
import {
  BpfSyscallError,
  batchUpdateSupported,
  createMap,
  type Fd,
  type MapCreateOptions,
  type Mapping,
  mapFdMemory,
  mapFreeze,
  mapInfo,
  mapUpdate,
  mapUpdateBatch,
  PinDirectory,
  pageSize,
  writeSlotsInBackground,
} from '@bpfkit/syscall';
import { MapFlag, MapType } from '@bpfkit/uapi';
import { u32s } from './bytes.js';
import { LoadError, type LoadErrorContext } from './errors.js';
import type { LoadLogger } from './log.js';
import type { ResourceScope } from './scope.js';
import { slotRefusalHint } from './slot-refusal-hint.js';

/** What map creation needs from the object. */
export interface MapCreation {
  readonly object: string | undefined;
  readonly maps: readonly MapSpec[];
  readonly plan: CreationPlan;
  readonly btfFd: Fd | undefined;
  /** Where maps pinned by name live. */
  readonly pinRoot: string;
  readonly scope: ResourceScope;
  readonly log: LoadLogger;
  /** The module BTF object fd of each struct_ops map whose value type a kernel module defines, by map name. */
  readonly structOpsModuleFds?: ReadonlyMap<string, Fd>;
  /** Receives each arena's mapping in this process, by map name (unmapped when the scope closes). */
  readonly arenas?: Map<string, Mapping>;
}

/** Wraps a syscall failure of `step` into a LoadError carrying the errno and context. */
function wrap(step: LoadError['step'], problem: string, context: LoadErrorContext, error: unknown): LoadError {
  if (LoadError.is(error)) return error;
  const errno = BpfSyscallError.is(error) ? error.errnoName : undefined;
  return new LoadError(step, problem, { ...context, ...(errno ? { errno } : {}) }, { cause: error });
}

/** The hint of a slot write the kernel refused with EINVAL (see {@link slotRefusalHint}), as context fields. */
function slotHint(outer: MapSpec, target: MapSpec | undefined, error: unknown): { hint?: string } {
  if (!BpfSyscallError.is(error) || error.errnoName !== 'EINVAL') return {};
  const hint = slotRefusalHint(outer, target);
  return hint === undefined ? {} : { hint };
}

/** The pin root, opened and checked (see {@link PinDirectory}); refusals become LoadError step `pin`. */
function openPinRoot(pinRoot: string, object: string | undefined): PinDirectory {
  try {
    return PinDirectory.open(pinRoot, object);
  } catch (error) {
    const context = { ...(object === undefined ? {} : { object }), path: pinRoot };
    throw wrap('pin', `pin root '${pinRoot}' cannot be used`, context, error);
  }
}

/**
 * The BPF_MAP_CREATE options for `attributes` with the loader's fds, the BTF ids kept only
 * with a BTF fd (`undefined`: without BTF). One object literal, so every map's options have one shape:
 * spreading the attributes into a new object cost more than the rest of the call's JS.
 */
function createOptions(
  attributes: MapCreateAttributes,
  innerMapFd: number,
  btfFd: number | undefined,
): MapCreateOptions {
  return {
    name: attributes.name,
    type: attributes.type,
    keySize: attributes.keySize,
    valueSize: attributes.valueSize,
    maxEntries: attributes.maxEntries,
    flags: attributes.flags,
    innerMapFd,
    numaNode: attributes.numaNode,
    btfFd: btfFd ?? 0,
    btfKeyTypeId: btfFd === undefined ? 0 : attributes.btfKeyTypeId,
    btfValueTypeId: btfFd === undefined ? 0 : attributes.btfValueTypeId,
    btfVmlinuxValueTypeId: attributes.btfVmlinuxValueTypeId,
    mapExtra: attributes.mapExtra,
  };
}

/** Creates one map (or prototype) from its spec, with BTF ids when it has them, retrying without BTF as libbpf does. */
function create(spec: MapSpec, c: MapCreation, innerMapFd = 0): Fd {
  const attributes = mapCreateAttributes(spec);
  // A struct_ops map names a kernel type, and the kernel reads the object's BTF with it: no retry without.
  if (attributes.btfVmlinuxValueTypeId !== 0) {
    const structOps = { ...attributes, btfKeyTypeId: 0, btfValueTypeId: 0, btfFd: c.btfFd?.fd ?? 0 };
    // A value type from a module is named in that module's BTF object, as libbpf sends it.
    const module = c.structOpsModuleFds?.get(spec.name);
    if (module === undefined) return createMap(structOps);
    return createMap({
      ...structOps,
      flags: attributes.flags | MapFlag.VTYPE_BTF_OBJ_FD,
      valueTypeBtfObjFd: module.fd,
    });
  }
  if (c.btfFd !== undefined && (attributes.btfKeyTypeId !== 0 || attributes.btfValueTypeId !== 0)) {
    try {
      return createMap(createOptions(attributes, innerMapFd, c.btfFd.fd));
    } catch (error) {
      if (!BpfSyscallError.is(error) || error.errnoName !== 'EINVAL') throw error;
      c.log(`map '${spec.name}': creating with BTF failed (${error.errnoName}); retrying without BTF`);
    }
  }
  return createMap(createOptions(attributes, innerMapFd, undefined));
}

/**
 * Maps an arena's memory into this process, as libbpf does right after creating it: at
 * `map_extra` when the map names an address, else where the kernel chooses (the first
 * mapping fixes the arena's user address, which programs using it need before they load).
 * Its `__arena` globals are copied in at the start; the memory stays mapped until the
 * object is closed.
 */
function mapArena(spec: MapSpec, fd: Fd, c: MapCreation): void {
  const length = spec.maxEntries * pageSize();
  const globals = spec.arenaGlobals ?? new Uint8Array();
  if (globals.length > length) {
    throw new LoadError('create-map', `its __arena globals (${globals.length} bytes) do not fit in the arena`, {
      ...(c.object === undefined ? {} : { object: c.object }),
      map: spec.name,
      expected: `≤ ${length} bytes (max_entries pages)`,
      actual: `${globals.length} bytes`,
    });
  }
  const mapping = mapFdMemory(
    fd.fd,
    length,
    { writable: true, ...(spec.mapExtra === 0n ? {} : { address: spec.mapExtra }) },
    { map: spec.name },
  );
  c.scope.onClose(() => mapping.unmap());
  c.arenas?.set(spec.name, mapping);
  mapping.bytes.set(globals);
  c.log(`map '${spec.name}': arena mapped (${length} bytes), ${globals.length} bytes of __arena globals written`);
}

/**
 * Writes map-in-map slots: one BPF_MAP_UPDATE_BATCH, run in the background so the kernel's
 * RCU wait does not hold up the load (see {@link writeSlotsInBackground}), then single
 * updates from the first slot it did not write, which name the slot that fails.
 */
function fillSlots(
  outer: MapSpec,
  outerFd: Fd,
  slots: readonly MapSlot[],
  fds: ReadonlyMap<string, Fd>,
  specs: ReadonlyMap<string, MapSpec>,
  c: MapCreation,
): void {
  const targetFd = (slot: MapSlot) => {
    const fd = fds.get(slot.target);
    if (fd === undefined) {
      throw new LoadError('fill-slots', `slot target map '${slot.target}' was not created`, {
        ...(c.object === undefined ? {} : { object: c.object }),
        map: outer.name,
        slot: slot.index,
        target: slot.target,
      });
    }
    return fd.fd;
  };
  const values = slots.map(targetFd);
  const keys = u32s(slots.map((s) => s.index));
  const valueBytes = u32s(values);
  const logWritten = (how: string) => {
    slots.forEach((s, i) => {
      c.log(`map '${outer.name}': slot [${s.index}] set to map '${s.target}' fd=${values[i]}`);
    });
    c.log(`map '${outer.name}': ${slots.length} slots written in one batch${how}`);
  };
  let written = 0;
  if (batchUpdateSupported(outer.type)) {
    const outcome = writeSlotsInBackground(outerFd.fd, outer, keys, valueBytes, slots.length);
    written = outcome.written;
    if (outcome.how === 'written') {
      logWritten(" (the kernel's RCU wait runs in the background)");
      return;
    }
    if (outcome.how === 'busy') {
      // Too many background batches in flight: one synchronous batch, waiting here.
      try {
        written = mapUpdateBatch(outerFd.fd, keys, valueBytes, slots.length, outer, 0, outer.name);
      } catch {
        written = 0; // a slot failed: single updates from here name it
      }
      if (written === slots.length) {
        logWritten('');
        return;
      }
    }
    const why =
      outcome.how === 'no-start'
        ? 'no worker thread ran it in time'
        : `refused at slot ${slots[written]?.index ?? written}`;
    c.log(`map '${outer.name}': batch slot update ${why}; writing slots one by one`);
  } else {
    c.log(`map '${outer.name}': this kernel has no batch updates for the map type; writing slots one by one`);
  }
  slots.forEach((slot, i) => {
    if (i < written) return;
    try {
      mapUpdate(outerFd.fd, u32s([slot.index]), u32s([values[i] as number]), outer, 0, outer.name);
    } catch (error) {
      throw wrap(
        'fill-slots',
        `failed to initialize slot [${slot.index}] to map '${slot.target}' fd=${values[i]}`,
        {
          ...(c.object === undefined ? {} : { object: c.object }),
          map: outer.name,
          slot: slot.index,
          target: slot.target,
          ...slotHint(outer, specs.get(slot.target), error),
        },
        error,
      );
    }
    c.log(`map '${outer.name}': slot [${slot.index}] set to map '${slot.target}' fd=${values[i]}`);
  });
}

/**
 * Runs the maps part of a creation plan: prototypes created, used and closed around their
 * outer maps, maps created (or reused from a pin when compatible), initial values written,
 * read-only data frozen, map-in-map slots filled, new pins made. Returns the fd of every map.
 * @throws {@link LoadError} naming the step, map, slot and target; the caller's scope closes what was opened.
 */
export function createMaps(c: MapCreation): Map<string, Fd> {
  const fds = new Map<string, Fd>();
  const prototypes = new Map<string, Fd>();
  const reused = new Set<string>();
  const byName = new Map(c.maps.map((m) => [m.name, m]));
  const where = (map: string): LoadErrorContext => ({ ...(c.object === undefined ? {} : { object: c.object }), map });

  const run = (step: CreationStep): void => {
    const spec = byName.get(step.map) as MapSpec;
    switch (step.kind) {
      case 'create-prototype': {
        const inner = spec.inner as MapSpec;
        try {
          const fd = c.scope.own(create(inner, c));
          prototypes.set(spec.name, fd);
          c.log(`map '${inner.name}': prototype created, fd=${fd.fd}`);
        } catch (error) {
          throw wrap(
            'create-prototype',
            `failed to create inner map prototype '${inner.name}'`,
            where(spec.name),
            error,
          );
        }
        return;
      }
      case 'create-map': {
        const path = pinPath(spec, c.pinRoot);
        if (path !== undefined && pins !== undefined) {
          let existing: Fd | undefined;
          try {
            existing = pins.openPinned(spec.name, spec.name);
          } catch (error) {
            throw wrap('pin', `couldn't open pinned map at '${path}'`, { ...where(spec.name), path }, error);
          }
          if (existing !== undefined) {
            c.scope.own(existing);
            try {
              assertPinnedMapCompatible(spec, mapInfo(existing.fd), path);
            } catch (error) {
              throw wrap('pin', `couldn't reuse pinned map at '${path}'`, { ...where(spec.name), path }, error);
            }
            fds.set(spec.name, existing);
            reused.add(spec.name);
            c.log(`map '${spec.name}': reused pinned map at '${path}', fd=${existing.fd}`);
            return;
          }
        }
        try {
          const fd = c.scope.own(create(spec, c, prototypes.get(spec.name)?.fd));
          fds.set(spec.name, fd);
          c.log(`map '${spec.name}': created successfully, fd=${fd.fd}`);
          if (spec.type === MapType.ARENA) mapArena(spec, fd, c);
        } catch (error) {
          throw wrap('create-map', 'failed to create', where(spec.name), error);
        }
        return;
      }
      case 'close-prototype':
        prototypes.get(spec.name)?.close();
        prototypes.delete(spec.name);
        c.log(`map '${spec.name}.inner': prototype closed`);
        return;
      case 'write-initial-value':
        if (reused.has(spec.name) || spec.initialData === undefined) return;
        try {
          mapUpdate((fds.get(spec.name) as Fd).fd, u32s([0]), spec.initialData, spec, 0, spec.name);
          c.log(`map '${spec.name}': initial value written (${spec.initialData.length} bytes)`);
        } catch (error) {
          throw wrap('write-initial-value', 'failed to write the initial value', where(spec.name), error);
        }
        return;
      case 'freeze':
        if (reused.has(spec.name)) return;
        try {
          mapFreeze((fds.get(spec.name) as Fd).fd, spec.name);
          c.log(`map '${spec.name}': frozen`);
        } catch (error) {
          throw wrap('freeze', 'failed to freeze', where(spec.name), error);
        }
        return;
      case 'fill-slots':
        if (reused.has(spec.name)) return;
        fillSlots(spec, fds.get(spec.name) as Fd, step.slots, fds, byName, c);
        return;
      case 'fill-program-slots':
        return;
    }
  };

  // Opened once, checked, and kept until the load ends, so undoing a pin unlinks our own.
  const pins = c.maps.some((spec) => pinPath(spec, c.pinRoot) !== undefined)
    ? openPinRoot(c.pinRoot, c.object)
    : undefined;
  if (pins !== undefined) c.scope.onEnd(() => pins.close());
  for (const step of c.plan.maps) run(step);
  if (pins === undefined) return fds;

  for (const spec of c.maps) {
    const path = pinPath(spec, c.pinRoot);
    if (path === undefined || reused.has(spec.name)) continue;
    try {
      pins.pin((fds.get(spec.name) as Fd).fd, spec.name);
    } catch (error) {
      throw wrap('pin', `failed to auto-pin at '${path}'`, { ...where(spec.name), path }, error);
    }
    c.scope.onFailure(() => pins.unpin(spec.name));
    c.log(`map '${spec.name}': pinned at '${path}'`);
  }
  return fds;
}
