import { type Btf, BtfError, type CoreRelo, CoreReloKind } from '@bpfkit/btf';
import { RelocError } from '../errors.js';
import { moduleName } from '../module-name.js';
import {
  type Candidate,
  type CoreTargets,
  findCandidates,
  findCandidatesOfEach,
  type LocalRoot,
} from './candidates.js';
import { fieldsCompatible, typesCompatible, typesMatch } from './compat.js';
import { isEnumKind, isFieldKind } from './kinds.js';
import { type CoreSpec, formatSpec, matchSpec, parseLocalSpec } from './spec.js';
import { enumValue, fieldValue, type SideValue, typeValue } from './values.js';

/** What one CO-RE relocation resolves to against a target: the values and how to patch. */
export interface CoreResolution {
  /** A {@link CoreReloKind}. */
  readonly kind: number;
  /** The local spec, e.g. `[5] struct task_struct___mine.pid (0:0 @ offset 0)`. */
  readonly local: string;
  /** The target spec it resolved to (naming the module when not vmlinux), `undefined` when nothing matched. */
  readonly target: string | undefined;
  /** The value the compiler wrote, as an unsigned 64-bit number. */
  readonly oldValue: bigint;
  /** The value for the target, as an unsigned 64-bit number (0 when poisoned). */
  readonly newValue: bigint;
  /** Whether the compiled value is checked before patching (not for bitfields and type ids). */
  readonly checked: boolean;
  /** No target has what the instruction needs: it becomes `call 0xbad2310`. */
  readonly poisoned: boolean;
  /** For field offsets: load/store size of the local field and of the target field (0 when not a load size). */
  readonly oldSize: number;
  /** The target field's load size (0 when not a load size). */
  readonly newSize: number;
  /**
   * The sizes differ and the field is not a pointer or unsigned integer on both sides:
   * a load or store of it is poisoned instead of resized.
   */
  readonly resizeUnsafe: boolean;
}

/**
 * Resolves CO-RE relocations of one object against a target kernel, libbpf's way. Each
 * local root type's candidates (same essential name and kind, vmlinux first, else modules)
 * are found once and pruned to those that matched, so later relocations of that type see
 * only those; resolve relocations in `.BTF.ext` order for libbpf's decisions.
 */
export class CoreResolver {
  private readonly candidates = new Map<number, Candidate[]>();

  constructor(
    private readonly local: Btf,
    private readonly targets: CoreTargets,
    private readonly littleEndian: boolean,
  ) {}

  /**
   * Looks up the candidates of the root types of `relos` together, before they are
   * resolved, each target BTF asked once per kind for all of them: a first load walks
   * vmlinux once for an object's few root types instead of building a name index for them.
   * Roots that are anonymous or cannot be read are left to {@link resolve}, which reports
   * them in order.
   */
  findCandidatesOf(relos: readonly CoreRelo[]): void {
    const roots = new Map<number, LocalRoot>();
    for (const { kind, typeId } of relos) {
      if (kind === CoreReloKind.TYPE_ID_LOCAL || this.candidates.has(typeId) || roots.has(typeId)) continue;
      const root = this.readableRoot(typeId);
      if (root !== undefined) roots.set(typeId, root);
    }
    const found = findCandidatesOfEach(this.targets, [...roots.values()]);
    [...roots.keys()].forEach((typeId, i) => {
      this.candidates.set(typeId, found[i] as Candidate[]);
    });
  }

  /** The name and kind of local type `id` when it is named and decodes, else `undefined`. */
  private readableRoot(id: number): LocalRoot | undefined {
    if (!this.local.has(id)) return undefined;
    try {
      const { name, kind } = this.local.type(id);
      return name === '' ? undefined : { name, kind };
    } catch (error) {
      if (BtfError.is(error)) return undefined;
      throw error;
    }
  }

  /**
   * The resolution of `relo`. Candidates that match must agree on the field's offset and on
   * the value; a relocation nothing matches is 0 for existence and type kinds, else poisoned.
   * @throws {@link RelocError} for a malformed record, candidates that disagree (`core-ambiguous`), or types nested too deep.
   */
  resolve(relo: CoreRelo, where: RelocError['context'] = {}): CoreResolution {
    try {
      return this.resolveChecked(relo, where);
    } catch (error) {
      if (BtfError.is(error)) throw new RelocError('core-bad-access', '', where, { cause: error });
      throw error;
    }
  }

  private resolveChecked(relo: CoreRelo, where: RelocError['context']): CoreResolution {
    const { kind } = relo;
    const localSpec = parseLocalSpec(this.local, relo.typeId, relo.accessString, kind, where);
    const local = formatSpec(localSpec);
    if (kind === CoreReloKind.TYPE_ID_LOCAL) {
      const id = BigInt(relo.typeId);
      return { ...sizes(), kind, local, target: local, oldValue: id, newValue: id, checked: false, poisoned: false };
    }
    const root = this.local.type(relo.typeId);
    if (root.name === '') {
      throw new RelocError('core-bad-access', `${local}: relocations against anonymous types are not supported`, where);
    }
    let candidates = this.candidates.get(relo.typeId);
    if (candidates === undefined) {
      candidates = findCandidates(this.targets, root.name, root.kind);
      this.candidates.set(relo.typeId, candidates);
    }
    let chosen: { spec: CoreSpec; resolution: CoreResolution } | undefined;
    const matched: Candidate[] = [];
    for (const candidate of candidates) {
      const spec = this.match(localSpec, candidate, where);
      if (spec === undefined) continue;
      const resolution = this.calculate(localSpec, local, spec, where);
      if (chosen === undefined) chosen = { spec, resolution };
      else if (spec.bitOffset !== chosen.spec.bitOffset) {
        throw new RelocError(
          'core-ambiguous',
          `field offset ambiguity: ${resolution.target} is at bit ${spec.bitOffset}, ${chosen.resolution.target} at bit ${chosen.spec.bitOffset}`,
          where,
        );
      } else if (
        resolution.poisoned !== chosen.resolution.poisoned ||
        resolution.newValue !== chosen.resolution.newValue
      ) {
        const describe = (r: CoreResolution) => `${r.target} gives ${r.poisoned ? 'failure' : r.newValue}`;
        throw new RelocError(
          'core-ambiguous',
          `relocation decision ambiguity: ${describe(resolution)}, ${describe(chosen.resolution)}`,
          where,
        );
      }
      matched.push(candidate);
    }
    if (chosen === undefined) return this.calculate(localSpec, local, undefined, where);
    this.candidates.set(relo.typeId, matched);
    return chosen.resolution;
  }

  /** The candidate's spec for the local one, or `undefined` when it does not have it. */
  private match(localSpec: CoreSpec, candidate: Candidate, where: RelocError['context']): CoreSpec | undefined {
    const { btf: target, id } = candidate;
    const { kind } = localSpec;
    if (isFieldKind(kind) || isEnumKind(kind)) {
      return matchSpec(localSpec, target, id, (l, t) => fieldsCompatible(this.local, l, target, t, where), where);
    }
    const ok =
      kind === CoreReloKind.TYPE_MATCHES
        ? typesMatch(this.local, localSpec.rootId, target, id, where)
        : typesCompatible(this.local, localSpec.rootId, target, id, where);
    return ok ? { btf: target, rootId: id, kind, accessors: [], raw: [0], bitOffset: 0 } : undefined;
  }

  /**
   * Local and target values of a relocation, and whether a load or store may be resized;
   * `local` is `localSpec` formatted (once per relocation, not per candidate).
   */
  private calculate(
    localSpec: CoreSpec,
    local: string,
    targetSpec: CoreSpec | undefined,
    where: RelocError['context'],
  ): CoreResolution {
    const { kind } = localSpec;
    const side = (spec: CoreSpec | undefined): SideValue | undefined =>
      isFieldKind(kind)
        ? fieldValue(spec, kind, this.littleEndian, where)
        : isEnumKind(kind)
          ? enumValue(spec, kind)
          : typeValue(spec, kind, where);
    const old = side(localSpec) as SideValue;
    const target =
      targetSpec === undefined
        ? undefined
        : `${formatSpec(targetSpec)}${targetSpec.btf === this.targets.kernel ? '' : ` in module ${moduleName(targetSpec.btf) || '(unnamed)'}`}`;
    const base = { kind, local, target, oldValue: old.value, checked: old.checkable };
    const fresh = side(targetSpec);
    if (fresh === undefined) return { ...base, ...sizes(), newValue: 0n, poisoned: true };
    const resized = old.memorySize !== fresh.memorySize;
    return {
      ...base,
      ...sizes(old.memorySize, fresh.memorySize),
      newValue: fresh.value,
      poisoned: false,
      resizeUnsafe: resized && !safeResize(localSpec.btf, old.memoryTypeId, targetSpec?.btf, fresh.memoryTypeId),
    };
  }
}

function sizes(oldSize = 0, newSize = 0) {
  return { oldSize, newSize, resizeUnsafe: false };
}

/** A load may change size for pointers (both sides) and unsigned integers (both sides). */
function safeResize(local: Btf, localId: number, target: Btf | undefined, targetId: number): boolean {
  if (target === undefined) return false;
  const l = local.type(localId);
  const t = target.type(targetId);
  if (l.kind === 'ptr' && t.kind === 'ptr') return true;
  return l.kind === 'int' && t.kind === 'int' && l.encoding !== 1 && t.encoding !== 1;
}
