import { type Btf, type BtfType, essentialName, resolveType, sizeOf } from '@bpfkit/btf';
import { RelocError } from '../errors.js';

/** One step of a field access: a named member or an array element. */
export interface AccessStep {
  readonly kind: 'member' | 'array';
  /** Member name (empty for anonymous members), or '' for array steps. */
  readonly name: string;
  /** Member index in its composite, or the array element index. */
  readonly index: number;
  /** Type id reached by the step (the member's or the element's type). */
  readonly typeId: number;
}

/** A field access resolved in one BTF: where it lands and what it reaches. */
export interface FieldSpec {
  /** Root type id (the struct the access starts from). */
  readonly rootId: number;
  /** The index applied to the root pointer (access string's first number). */
  readonly rootIndex: number;
  /** Steps after the root, in order. */
  readonly steps: readonly AccessStep[];
  /** Bit offset of the field from the root pointer. */
  readonly bitOffset: number;
  /** Bitfield width, 0 when the final step is not a bitfield member. */
  readonly bitfieldSize: number;
  /** Type id of the field reached. */
  readonly fieldTypeId: number;
}

/** Most accessors libbpf follows. */
const MAX_ACCESS = 64;

/** Parses `0:1:2` into numbers. */
export function parseAccess(access: string): number[] {
  const parts = access.split(':').map((p) => Number(p));
  if (parts.length === 0 || parts.length > MAX_ACCESS || parts.some((p) => !Number.isInteger(p) || p < 0)) {
    throw new RelocError('core-bad-access', `access string '${access}' is not a list of indexes`);
  }
  return parts;
}

/** Walks a local access string through `btf` from `rootId`, as the compiler recorded it. */
export function localFieldSpec(btf: Btf, rootId: number, access: readonly number[]): FieldSpec {
  const root = resolveType(btf, rootId);
  const rootIndex = access[0] as number;
  let bitOffset = rootIndex * sizeOf(btf, root.id) * 8;
  let typeId = root.id;
  let bitfieldSize = 0;
  const steps: AccessStep[] = [];
  for (let i = 1; i < access.length; i++) {
    const t = resolveType(btf, typeId);
    const index = access[i] as number;
    if (t.kind === 'struct' || t.kind === 'union') {
      const member = t.members[index];
      if (member === undefined)
        throw new RelocError('core-bad-access', `member index ${index} is past the end of '${t.name}'`);
      bitOffset += member.bitOffset;
      bitfieldSize = member.bitfieldSize;
      typeId = member.type;
      steps.push({ kind: 'member', name: member.name, index, typeId });
    } else if (t.kind === 'array') {
      bitOffset += index * sizeOf(btf, t.type) * 8;
      bitfieldSize = 0;
      typeId = t.type;
      steps.push({ kind: 'array', name: '', index, typeId });
    } else {
      throw new RelocError('core-bad-access', `access step ${i} goes into a ${t.kind}`);
    }
  }
  return { rootId, rootIndex, steps, bitOffset, bitfieldSize, fieldTypeId: typeId };
}

/**
 * Follows a local spec through the target type `targetRootId`, matching members by name
 * (searching through anonymous members) and checking field compatibility; `undefined` when
 * the target has no such field.
 */
export function matchFieldSpec(
  localSpec: FieldSpec,
  target: Btf,
  targetRootId: number,
  fieldsCompatible: (localId: number, targetId: number) => boolean,
): FieldSpec | undefined {
  let bitOffset = localSpec.rootIndex * sizeOf(target, targetRootId) * 8;
  let typeId = targetRootId;
  let bitfieldSize = 0;
  const steps: AccessStep[] = [];
  for (const step of localSpec.steps) {
    const t = resolveType(target, typeId);
    if (step.kind === 'member') {
      if (t.kind !== 'struct' && t.kind !== 'union') return undefined;
      if (step.name === '') {
        // An anonymous local member: match by position only if the target has the same shape.
        const member = t.members[step.index];
        if (member === undefined || member.name !== '') return undefined;
        bitOffset += member.bitOffset;
        bitfieldSize = member.bitfieldSize;
        typeId = member.type;
      } else {
        const found = findMember(target, t, step.name, 0);
        if (found === undefined) return undefined;
        bitOffset += found.bitOffset;
        bitfieldSize = found.bitfieldSize;
        typeId = found.type;
      }
      if (!fieldsCompatible(step.typeId, typeId)) return undefined;
      steps.push({ kind: 'member', name: step.name, index: step.index, typeId });
    } else {
      if (t.kind !== 'array') return undefined;
      const flexible = t.length === 0;
      if (!flexible && step.index >= t.length) return undefined;
      bitOffset += step.index * sizeOf(target, t.type) * 8;
      bitfieldSize = 0;
      typeId = t.type;
      steps.push({ kind: 'array', name: '', index: step.index, typeId });
    }
  }
  return { rootId: targetRootId, rootIndex: localSpec.rootIndex, steps, bitOffset, bitfieldSize, fieldTypeId: typeId };
}

function findMember(
  btf: Btf,
  composite: BtfType & { kind: 'struct' | 'union' },
  name: string,
  depth: number,
): { bitOffset: number; bitfieldSize: number; type: number } | undefined {
  if (depth > MAX_ACCESS) return undefined;
  for (const member of composite.members) {
    if (member.name === name) return member;
    if (member.name === '') {
      const inner = resolveType(btf, member.type);
      if (inner.kind === 'struct' || inner.kind === 'union') {
        const found = findMember(btf, inner, name, depth + 1);
        if (found !== undefined) return { ...found, bitOffset: found.bitOffset + member.bitOffset };
      }
    }
  }
  return undefined;
}

/** A readable form of a spec for logs: `struct task_struct___mine.tasks.next (0:3:1 @ offset 16)`. */
export function describeFieldSpec(btf: Btf, spec: FieldSpec, access: string): string {
  const root = btf.type(spec.rootId);
  const path = spec.steps.map((s) => (s.kind === 'member' ? `.${s.name || '<anon>'}` : `[${s.index}]`)).join('');
  return `${root.kind} ${root.name}${path} (${access} @ offset ${spec.bitOffset / 8})`;
}

/** Names are equal up to a CO-RE flavor (`foo___v2` matches `foo`). */
export function sameEssentialName(a: string, b: string): boolean {
  return essentialName(a) === essentialName(b);
}
