import { type Btf, type BtfType, essentialName, resolveType, sizeOf } from '@bpfkit/btf';
import { RelocError } from '../errors.js';
import { isEnumKind, isFieldKind, isTypeKind } from './kinds.js';

/**
 * One meaningful step of an access, libbpf's "high-level accessor": the root, a named
 * member, an array element or an enumerator. Anonymous members a path goes through are
 * not steps of their own: they only add to the bit offset.
 */
export interface CoreAccessor {
  /**
   * For a named member: the composite holding it. For the root and array elements: the
   * type reached. For an enumerator: the enum. Typedefs and qualifiers skipped.
   */
  readonly typeId: number;
  /** Member, element or enumerator index. */
  readonly index: number;
  /** Member or enumerator name; `undefined` for the root and array elements. */
  readonly name: string | undefined;
}

/** A relocation's access resolved in one BTF (the object's, or a candidate target's). */
export interface CoreSpec {
  readonly btf: Btf;
  /** The type the access starts from (as recorded, typedefs not skipped). */
  readonly rootId: number;
  /** A {@link CoreReloKind}. */
  readonly kind: number;
  /** High-level steps; empty for type relocations. */
  readonly accessors: readonly CoreAccessor[];
  /** Every index followed, anonymous members included (the access string, for the local side). */
  readonly raw: readonly number[];
  /** Bit offset of the field from the root pointer (0 for types and enumerators). */
  readonly bitOffset: number;
}

/** Most steps an access may take, anonymous members included (libbpf's limit). */
export const MAX_SPEC_LENGTH = 64;

/** Follows typedefs and qualifiers; the concrete type. */
const concrete = (btf: Btf, id: number): BtfType => resolveType(btf, id);

const isComposite = (t: BtfType): t is BtfType & { kind: 'struct' | 'union' } =>
  t.kind === 'struct' || t.kind === 'union';

/**
 * A flexible array: length 0 and the last member of the struct the previous step named
 * (libbpf only lets such an array be indexed past its length).
 */
function isFlexibleArray(btf: Btf, previous: CoreAccessor | undefined, length: number): boolean {
  if (previous?.name === undefined || length > 0) return false;
  const holder = btf.type(previous.typeId);
  return isComposite(holder) && previous.index === holder.members.length - 1;
}

function parseIndexes(access: string, fail: (problem: string) => never): number[] {
  if (access === '' || access.startsWith(':')) fail(`access string '${access}' is empty or starts with ':'`);
  const parts = access.split(':');
  if (parts.length > MAX_SPEC_LENGTH) fail(`access string '${access}' has more than ${MAX_SPEC_LENGTH} steps`);
  return parts.map((part) => {
    if (!/^\d+$/.test(part)) fail(`access string '${access}' is not a list of indexes`);
    return Number(part);
  });
}

/**
 * The local spec of a relocation: its access string walked through the object's BTF from
 * the root type, as libbpf parses it. Type relocations need the access `0`; enumerator
 * relocations one enumerator index; field relocations members and in-bounds elements.
 * @throws {@link RelocError} `core-bad-access` naming the step that does not fit.
 */
export function parseLocalSpec(
  btf: Btf,
  rootId: number,
  access: string,
  kind: number,
  where: RelocError['context'] = {},
): CoreSpec {
  const fail = (problem: string): never => {
    throw new RelocError('core-bad-access', problem, where);
  };
  const raw = parseIndexes(access, fail);
  if (isTypeKind(kind)) {
    if (access !== '0') fail(`type relocation with access '${access}' (expected '0')`);
    return { btf, rootId, kind, accessors: [], raw, bitOffset: 0 };
  }
  const root = concrete(btf, rootId);
  const first = raw[0] as number;
  if (isEnumKind(kind)) {
    if ((root.kind !== 'enum' && root.kind !== 'enum64') || raw.length > 1 || first >= root.values.length) {
      fail(`enumerator relocation '${access}' against ${root.kind} '${root.name}' names no enumerator`);
    }
    const enumerator = (root as BtfType & { kind: 'enum' | 'enum64' }).values[first] as { name: string };
    return {
      btf,
      rootId,
      kind,
      accessors: [{ typeId: root.id, index: first, name: enumerator.name }],
      raw,
      bitOffset: 0,
    };
  }
  if (!isFieldKind(kind)) fail(`unknown CO-RE relocation kind ${kind}`);
  const accessors: CoreAccessor[] = [{ typeId: root.id, index: first, name: undefined }];
  let bitOffset = first * size(btf, root.id, where) * 8;
  let id = root.id;
  for (let i = 1; i < raw.length; i++) {
    const t = concrete(btf, id);
    const index = raw[i] as number;
    if (isComposite(t)) {
      const member = t.members[index];
      if (member === undefined) fail(`member index ${index} is past the end of ${t.kind} '${t.name}'`);
      bitOffset += (member as { bitOffset: number }).bitOffset;
      const name = (member as { name: string }).name;
      if (name !== '') accessors.push({ typeId: t.id, index, name });
      id = (member as { type: number }).type;
    } else if (t.kind === 'array') {
      const element = concrete(btf, t.type);
      if (!isFlexibleArray(btf, accessors.at(-1), t.length) && index >= t.length) {
        fail(`element ${index} is past the end of an array of ${t.length}`);
      }
      accessors.push({ typeId: element.id, index, name: undefined });
      bitOffset += index * size(btf, element.id, where) * 8;
      id = element.id;
    } else {
      fail(`access step ${i} of '${access}' goes into a ${t.kind}`);
    }
  }
  return { btf, rootId, kind, accessors, raw, bitOffset };
}

/** sizeOf, with a BTF failure (a type without a size) reported as a bad access. */
export function size(btf: Btf, id: number, where: RelocError['context'] = {}): number {
  try {
    return sizeOf(btf, id);
  } catch (error) {
    throw new RelocError('core-bad-access', '', where, { cause: error });
  }
}

/**
 * Follows a local field or enumerator spec through the candidate `targetId` in `target`, as
 * libbpf matches them: named members by exact name, searched through anonymous members at
 * any depth; array elements in bounds (flexible arrays unbounded); enumerators by essential
 * name; each member's type field-compatible with the local one. `undefined` when the
 * candidate does not have the field.
 */
export function matchSpec(
  local: CoreSpec,
  target: Btf,
  targetId: number,
  compatible: (localId: number, targetId: number) => boolean,
  where: RelocError['context'] = {},
): CoreSpec | undefined {
  const accessors: CoreAccessor[] = [];
  const raw: number[] = [];
  if (isEnumKind(local.kind)) {
    const t = concrete(target, targetId);
    if (t.kind !== 'enum' && t.kind !== 'enum64') return undefined;
    const wanted = essentialName((local.accessors[0] as CoreAccessor).name as string);
    const index = t.values.findIndex((v) => essentialName(v.name) === wanted);
    if (index < 0) return undefined;
    accessors.push({ typeId: t.id, index, name: (t.values[index] as { name: string }).name });
    return { btf: target, rootId: targetId, kind: local.kind, accessors, raw: [index], bitOffset: 0 };
  }
  const state = { bitOffset: 0, raw };
  let id = targetId;
  for (let i = 0; i < local.accessors.length; i++) {
    const step = local.accessors[i] as CoreAccessor;
    const t = concrete(target, id);
    id = t.id;
    if (step.name !== undefined) {
      const holder = local.btf.type(step.typeId) as BtfType & { kind: 'struct' | 'union' };
      const localMember = holder.members[step.index] as { type: number };
      const found = findMember(target, id, step.name, state, where);
      if (found === undefined) return undefined;
      accessors.push({ typeId: found.holder, index: found.index, name: step.name });
      if (!compatible(localMember.type, found.type)) return undefined;
      id = found.type;
      continue;
    }
    if (i > 0) {
      if (t.kind !== 'array') return undefined;
      if (!isFlexibleArray(target, accessors.at(-1), t.length) && step.index >= t.length) return undefined;
      id = concrete(target, t.type).id;
    }
    if (raw.length === MAX_SPEC_LENGTH) tooDeep(where);
    accessors.push({ typeId: id, index: step.index, name: undefined });
    raw.push(step.index);
    state.bitOffset += step.index * size(target, id, where) * 8;
  }
  return { btf: target, rootId: targetId, kind: local.kind, accessors, raw, bitOffset: state.bitOffset };
}

function tooDeep(where: RelocError['context']): never {
  throw new RelocError('core-bad-access', `access goes deeper than ${MAX_SPEC_LENGTH} steps`, where);
}

/**
 * The member named `name` of composite `id`, directly or inside anonymous members (depth
 * first, in member order); adds its offset and indexes to `state` when found.
 */
function findMember(
  btf: Btf,
  id: number,
  name: string,
  state: { bitOffset: number; raw: number[] },
  where: RelocError['context'],
): { holder: number; index: number; type: number } | undefined {
  const t = concrete(btf, id);
  if (!isComposite(t)) return undefined;
  // Read once: a view's getter makes its reader anew on each read, for every member of
  // the structs searched (task_struct has some 250).
  const members = t.members;
  for (let index = 0; index < members.length; index++) {
    const member = members[index] as { name: string; type: number; bitOffset: number };
    if (state.raw.length === MAX_SPEC_LENGTH) tooDeep(where);
    state.bitOffset += member.bitOffset;
    state.raw.push(index);
    if (member.name === '') {
      const inner = findMember(btf, member.type, name, state, where);
      if (inner !== undefined) return inner;
    } else if (member.name === name) {
      return { holder: t.id, index, type: member.type };
    }
    state.bitOffset -= member.bitOffset;
    state.raw.pop();
  }
  return undefined;
}

/**
 * A spec the way libbpf logs it: `[5] struct task_struct___mine.tasks.next (0:3:1 @ offset 16)`,
 * `[7] enum e::NAME = -1`, `[5] struct s`.
 */
export function formatSpec(spec: CoreSpec): string {
  const root = spec.btf.type(spec.rootId);
  const head = `[${spec.rootId}] ${root.kind} ${root.name || '<anon>'}`;
  if (isTypeKind(spec.kind)) return head;
  if (isEnumKind(spec.kind)) {
    const enumerator = spec.accessors[0] as CoreAccessor;
    const t = spec.btf.type(enumerator.typeId) as BtfType & { kind: 'enum' | 'enum64' };
    const value = (t.values[enumerator.index] as { value: number | bigint }).value;
    return `${head}::${enumerator.name} = ${value}`;
  }
  const path = spec.accessors
    .map((a, i) => (a.name !== undefined ? `.${a.name}` : i > 0 || a.index > 0 ? `[${a.index}]` : ''))
    .join('');
  const bits = spec.bitOffset % 8;
  const offset = bits === 0 ? `${spec.bitOffset / 8}` : `${Math.floor(spec.bitOffset / 8)}.${bits}`;
  return `${head}${path} (${spec.raw.join(':')} @ offset ${offset})`;
}

/** Names are equal up to a CO-RE flavor (`foo___v2` matches `foo`). */
export function sameEssentialName(a: string, b: string): boolean {
  return essentialName(a) === essentialName(b);
}
