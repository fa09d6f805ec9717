import { type BtfType, CoreReloKind, resolveType } from '@bpfkit/btf';
import { RelocError } from '../errors.js';
import type { CoreSpec } from './spec.js';
import { size } from './spec.js';

/** The value a relocation takes on one side (local or target), as libbpf computes it. */
export interface SideValue {
  /** As an unsigned 64-bit number, the way libbpf compares and writes it. */
  readonly value: bigint;
  /** For field offsets: the size a load or store of the field (an array's element) needs; 0 otherwise. */
  readonly memorySize: number;
  /** The type that size belongs to (in the spec's BTF), 0 when none. */
  readonly memoryTypeId: number;
  /** False when the compiled value cannot be checked (bitfields, type ids). */
  readonly checkable: boolean;
}

const u64 = (value: number | bigint): bigint => BigInt.asUintN(64, BigInt(value));

const plain = (value: number | bigint, checkable = true): SideValue => ({
  value: u64(value),
  memorySize: 0,
  memoryTypeId: 0,
  checkable,
});

/** Size of the innermost element of `id` (itself when not an array). */
function elementSize(spec: CoreSpec, id: number, where: RelocError['context']): { size: number; id: number } {
  let t = resolveType(spec.btf, id);
  while (t.kind === 'array') t = resolveType(spec.btf, t.type);
  return { size: size(spec.btf, t.id, where), id };
}

/**
 * A field relocation's value on one side; `undefined` asks for the instruction to be
 * poisoned (the target lacks the field). FIELD_EXISTS is 1 or 0.
 * @throws {@link RelocError} for relocations that do not apply (a bitfield wider than 8 bytes, a shift on an array element).
 */
export function fieldValue(
  spec: CoreSpec | undefined,
  kind: number,
  littleEndian: boolean,
  where: RelocError['context'],
): SideValue | undefined {
  if (kind === CoreReloKind.FIELD_EXISTS) return plain(spec === undefined ? 0 : 1);
  if (spec === undefined) return undefined;
  const last = spec.accessors.at(-1);
  if (last === undefined) throw new RelocError('core-bad-access', 'field relocation without an access', where);
  if (last.name === undefined) {
    // The root or an array element.
    if (kind === CoreReloKind.FIELD_BYTE_OFFSET) {
      const element = elementSize(spec, last.typeId, where);
      return {
        value: u64(Math.floor(spec.bitOffset / 8)),
        memorySize: element.size,
        memoryTypeId: last.typeId,
        checkable: true,
      };
    }
    if (kind === CoreReloKind.FIELD_BYTE_SIZE) return plain(size(spec.btf, last.typeId, where));
    throw new RelocError('core-bad-access', 'this kind of field relocation cannot apply to an array element', where);
  }
  const holder = spec.btf.type(last.typeId) as BtfType & { kind: 'struct' | 'union' };
  const member = holder.members[last.index] as { type: number; bitfieldSize: number };
  const field = resolveType(spec.btf, member.type);
  const bitOffset = spec.bitOffset;
  let bitSize = member.bitfieldSize;
  const bitfield = bitSize > 0;
  let byteSize: number;
  let byteOffset: number;
  if (bitfield) {
    byteSize = field.kind === 'int' || field.kind === 'enum' || field.kind === 'enum64' ? field.size : 0;
    if (byteSize <= 0) throw new RelocError('core-bad-access', `bitfield of a ${field.kind}`, where);
    byteOffset = Math.floor(bitOffset / 8 / byteSize) * byteSize;
    while (bitOffset + bitSize - byteOffset * 8 > byteSize * 8) {
      if (byteSize >= 8) throw new RelocError('core-bad-access', 'bitfield cannot be read with an 8-byte load', where);
      byteSize *= 2;
      byteOffset = Math.floor(bitOffset / 8 / byteSize) * byteSize;
    }
  } else {
    byteSize = size(spec.btf, field.id, where);
    byteOffset = Math.floor(bitOffset / 8);
    bitSize = byteSize * 8;
  }
  switch (kind) {
    case CoreReloKind.FIELD_BYTE_OFFSET: {
      if (bitfield) return { value: u64(byteOffset), memorySize: 0, memoryTypeId: 0, checkable: false };
      const element = elementSize(spec, field.id, where);
      return { value: u64(byteOffset), memorySize: element.size, memoryTypeId: field.id, checkable: true };
    }
    case CoreReloKind.FIELD_BYTE_SIZE:
      return plain(byteSize, !bitfield);
    case CoreReloKind.FIELD_SIGNED: {
      const signed =
        ((field.kind === 'enum' || field.kind === 'enum64') && field.signed) ||
        (field.kind === 'int' && (field.encoding & 1) !== 0);
      return plain(signed ? 1 : 0);
    }
    case CoreReloKind.FIELD_LSHIFT_U64:
      return plain(
        littleEndian ? 64 - (bitOffset + bitSize - byteOffset * 8) : (8 - byteSize) * 8 + (bitOffset - byteOffset * 8),
        !bitfield,
      );
    default:
      return plain(64 - bitSize);
  }
}

/** A type relocation's value on one side; a missing target gives 0. TYPE_ID_TARGET's compiled id is not checked. */
export function typeValue(spec: CoreSpec | undefined, kind: number, where: RelocError['context']): SideValue {
  const checkable = kind !== CoreReloKind.TYPE_ID_TARGET;
  if (spec === undefined) return plain(0, checkable);
  switch (kind) {
    case CoreReloKind.TYPE_ID_TARGET:
      return plain(spec.rootId, false);
    case CoreReloKind.TYPE_SIZE:
      return plain(size(spec.btf, spec.rootId, where));
    default:
      return plain(1);
  }
}

/**
 * An enumerator relocation's value on one side; `undefined` asks for poisoning (the target
 * lacks the enumerator). A 32-bit enumerator is read as signed and widened to 64 bits, as
 * libbpf does, whatever the enum's signedness.
 */
export function enumValue(spec: CoreSpec | undefined, kind: number): SideValue | undefined {
  if (kind === CoreReloKind.ENUMVAL_EXISTS) return plain(spec === undefined ? 0 : 1);
  if (spec === undefined) return undefined;
  const accessor = spec.accessors[0] as { typeId: number; index: number };
  const t = spec.btf.type(accessor.typeId) as BtfType & { kind: 'enum' | 'enum64' };
  const value = (t.values[accessor.index] as { value: number | bigint }).value;
  return plain(t.kind === 'enum' ? Number(value) | 0 : value);
}
