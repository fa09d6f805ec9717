import { type Btf, type CoreRelo, CoreReloKind, resolveType, sizeOf } from '@bpfkit/btf';
import { RelocError } from '../errors.js';
import type { Instruction } from '../insn/instruction.js';
import { InsnClass, InsnSize, InsnSource, LD_IMM64 } from '../insn/opcodes.js';
import { moduleName } from '../module-name.js';
import { type CoreTargets, findCandidates } from './candidates.js';
import { fieldsCompatible, typesCompatible, typesMatch } from './compat.js';
import {
  describeFieldSpec,
  type FieldSpec,
  localFieldSpec,
  matchFieldSpec,
  parseAccess,
  sameEssentialName,
} from './spec.js';

/** The immediate libbpf writes into an instruction it cannot relocate (`call 0xbad2310`). */
export const CORE_POISON = 195896080;

/** Names of CO-RE relocation kinds, for logs. */
export const coreKindNames: readonly string[] = [
  'byte_off',
  'byte_sz',
  'field_exists',
  'signed',
  'lshift_u64',
  'rshift_u64',
  'local_type_id',
  'target_type_id',
  'type_exists',
  'type_size',
  'enumval_exists',
  'enumval_value',
  'type_matches',
];

/** What was decided for one CO-RE relocation. */
export interface CoreDecision {
  /** Instruction index in its ELF section. */
  readonly insn: number;
  /** A {@link CoreReloKind}. */
  readonly kind: number;
  /** The local access, e.g. `struct task_struct___mine.pid (0:0 @ offset 0)`. */
  readonly local: string;
  /** The target it resolved to, or `undefined` when nothing matched. */
  readonly target: string | undefined;
  /** The value the compiler wrote. */
  readonly oldValue: bigint;
  /** The value for the target kernel (undefined when poisoned). */
  readonly newValue: bigint | undefined;
  /** True when the instruction was poisoned (no match where one is required). */
  readonly poisoned: boolean;
}

interface Result {
  value: bigint;
  /** For byte offsets: the load size the field now needs. */
  size?: number;
  /** True when a size change would be wrong (a signed field). */
  signedSizeChange?: boolean;
  target: string;
}

const isField = (kind: number) => kind <= CoreReloKind.FIELD_RSHIFT_U64;
const isType = (kind: number) =>
  kind === CoreReloKind.TYPE_ID_LOCAL ||
  kind === CoreReloKind.TYPE_ID_TARGET ||
  kind === CoreReloKind.TYPE_EXISTS ||
  kind === CoreReloKind.TYPE_SIZE ||
  kind === CoreReloKind.TYPE_MATCHES;

/** The value of a field relocation on a spec resolved in `btf` (local or target). */
function fieldValue(btf: Btf, spec: FieldSpec, kind: number, littleEndian: boolean): Omit<Result, 'target'> {
  const field = resolveType(btf, spec.fieldTypeId);
  const bitfield = spec.bitfieldSize > 0;
  let byteSize = bitfield
    ? field.kind === 'int' || field.kind === 'enum' || field.kind === 'enum64'
      ? field.size
      : 4
    : sizeOf(btf, spec.fieldTypeId);
  const bitSize = bitfield ? spec.bitfieldSize : byteSize * 8;
  let byteOffset = Math.floor(spec.bitOffset / 8);
  if (bitfield) {
    byteOffset = Math.floor(spec.bitOffset / 8 / byteSize) * byteSize;
    while (spec.bitOffset + bitSize - byteOffset * 8 > byteSize * 8) {
      if (byteSize >= 8) throw new RelocError('core-bad-access', 'bitfield does not fit an 8-byte load');
      byteSize *= 2;
      byteOffset = Math.floor(spec.bitOffset / 8 / byteSize) * byteSize;
    }
  }
  const signed =
    (field.kind === 'int' && (field.encoding & 1) !== 0) ||
    ((field.kind === 'enum' || field.kind === 'enum64') && field.signed);
  switch (kind) {
    case CoreReloKind.FIELD_BYTE_OFFSET:
      return { value: BigInt(byteOffset), size: byteSize, signedSizeChange: signed };
    case CoreReloKind.FIELD_BYTE_SIZE:
      return { value: BigInt(byteSize) };
    case CoreReloKind.FIELD_EXISTS:
      return { value: 1n };
    case CoreReloKind.FIELD_SIGNED:
      return { value: signed ? 1n : 0n };
    case CoreReloKind.FIELD_LSHIFT_U64:
      return {
        value: BigInt(
          littleEndian
            ? 64 - (spec.bitOffset + bitSize - byteOffset * 8)
            : 64 - byteSize * 8 + (spec.bitOffset - byteOffset * 8),
        ),
      };
    default:
      return { value: BigInt(64 - bitSize) };
  }
}

/** Resolves one relocation against every candidate; the agreed result, or undefined when none matched. */
interface Resolution {
  result: Result | undefined;
  localDescription: string;
  /** The value the compiler should have written, checked against the instruction when `checkable`. */
  localValue: bigint;
  /** False for bitfields and type ids, whose compiled values libbpf does not check either. */
  checkable: boolean;
}

function resolve(
  local: Btf,
  targets: CoreTargets,
  relo: CoreRelo,
  littleEndian: boolean,
  where: RelocError['context'],
): Resolution {
  const root = local.type(relo.typeId);
  const access = parseAccess(relo.accessString);
  const kind = relo.kind;
  const fail = (problem: string): never => {
    throw new RelocError('core-bad-access', problem, where);
  };
  if (root.name === '' && kind !== CoreReloKind.TYPE_ID_LOCAL) fail(`relocation against an anonymous ${root.kind}`);
  const candidates = kind === CoreReloKind.TYPE_ID_LOCAL ? [] : findCandidates(targets, root.name, root.kind);
  const inModule = (btf: Btf) => (btf === targets.kernel ? '' : ` in module ${moduleName(btf) || '(unnamed)'}`);
  const results: Result[] = [];

  if (isField(kind)) {
    const spec = localFieldSpec(local, relo.typeId, access);
    const localDescription = describeFieldSpec(local, spec, relo.accessString);
    const localValue = kind === CoreReloKind.FIELD_EXISTS ? 1n : fieldValue(local, spec, kind, littleEndian).value;
    for (const { btf: target, id } of candidates) {
      const matched = matchFieldSpec(spec, target, id, (l, t) => fieldsCompatible(local, l, target, t));
      if (matched !== undefined) {
        results.push({
          ...fieldValue(target, matched, kind, littleEndian),
          target: describeFieldSpec(target, matched, relo.accessString) + inModule(target),
        });
      }
    }
    const bitfieldKind = kind === CoreReloKind.FIELD_LSHIFT_U64 || kind === CoreReloKind.FIELD_RSHIFT_U64;
    return {
      result: agree(results, where),
      localDescription,
      localValue,
      checkable: spec.bitfieldSize === 0 && !bitfieldKind,
    };
  }

  if (isType(kind)) {
    if (access.length !== 1 || access[0] !== 0)
      fail(`type relocation with access '${relo.accessString}' (expected '0')`);
    const localDescription = `${root.kind} ${root.name} [${root.id}]`;
    const localValue =
      kind === CoreReloKind.TYPE_SIZE
        ? BigInt(sizeOf(local, root.id))
        : kind === CoreReloKind.TYPE_ID_LOCAL || kind === CoreReloKind.TYPE_ID_TARGET
          ? BigInt(root.id)
          : 1n;
    const checkable =
      kind === CoreReloKind.TYPE_EXISTS || kind === CoreReloKind.TYPE_SIZE || kind === CoreReloKind.TYPE_MATCHES;
    if (kind === CoreReloKind.TYPE_ID_LOCAL) {
      return { result: { value: BigInt(root.id), target: localDescription }, localDescription, localValue, checkable };
    }
    for (const { btf: target, id: candidate } of candidates) {
      const ok =
        kind === CoreReloKind.TYPE_MATCHES
          ? typesMatch(local, root.id, target, candidate)
          : typesCompatible(local, root.id, target, candidate);
      if (!ok) continue;
      const t = target.type(candidate);
      const value =
        kind === CoreReloKind.TYPE_SIZE
          ? BigInt(sizeOf(target, candidate))
          : kind === CoreReloKind.TYPE_ID_TARGET
            ? BigInt(candidate)
            : 1n;
      results.push({ value, target: `${t.kind} ${t.name} [${candidate}]${inModule(target)}` });
    }
    return { result: agree(results, where), localDescription, localValue, checkable };
  }

  // Enumerator relocations.
  const localEnum = resolveType(local, relo.typeId);
  if (localEnum.kind !== 'enum' && localEnum.kind !== 'enum64')
    fail(`enumerator relocation against a ${localEnum.kind}`);
  const enumerator = (localEnum as { values: readonly { name: string; value: number | bigint }[] }).values[
    access[0] as number
  ];
  if (enumerator === undefined || access.length !== 1) fail(`enumerator index ${relo.accessString} is out of range`);
  const localDescription = `enum ${localEnum.name}::${(enumerator as { name: string }).name}`;
  const localValue =
    kind === CoreReloKind.ENUMVAL_EXISTS ? 1n : BigInt((enumerator as { value: number | bigint }).value);
  for (const { btf: target, id: candidate } of candidates) {
    const t = target.type(candidate);
    if (t.kind !== 'enum' && t.kind !== 'enum64') continue;
    const match = (t.values as readonly { name: string; value: number | bigint }[]).find((v) =>
      sameEssentialName(v.name, (enumerator as { name: string }).name),
    );
    if (match === undefined) continue;
    results.push({
      value: kind === CoreReloKind.ENUMVAL_EXISTS ? 1n : BigInt(match.value),
      target: `enum ${t.name}::${match.name} = ${match.value}${inModule(target)}`,
    });
  }
  return { result: agree(results, where), localDescription, localValue, checkable: true };
}

/** Candidates that matched must agree on the value (libbpf's "relocation decision ambiguity"). */
function agree(results: Result[], where: RelocError['context']): Result | undefined {
  const [first] = results;
  if (first === undefined) return undefined;
  const other = results.find((r) => r.value !== first.value);
  if (other !== undefined) {
    throw new RelocError(
      'core-ambiguous',
      `candidates disagree: ${first.target} gives ${first.value}, ${other.target} gives ${other.value}`,
      where,
    );
  }
  return first;
}

const sizeBits: Record<number, number> = { 1: InsnSize.B, 2: InsnSize.H, 4: InsnSize.W, 8: InsnSize.DW };

function poison(instructions: Instruction[], index: number): void {
  const wide = (instructions[index] as Instruction).code === LD_IMM64;
  for (const at of wide ? [index, index + 1] : [index]) {
    instructions[at] = { code: InsnClass.JMP | 0x80, dst: 0, src: 0, off: 0, imm: CORE_POISON };
  }
}

/**
 * Applies the CO-RE relocations of one section to its instructions (in place) against
 * `target` (the kernel's BTF, with module BTFs to fall back on), libbpf's way: field offsets into LDX/ST/STX offsets (and sizes, where a
 * field's size changed and the field is unsigned) or ALU immediates, type and enumerator
 * facts into immediates or ld_imm64 values. A relocation that matches nothing gets 0 for
 * "exists" and type kinds; any other is poisoned (`call 0xbad2310`), which the verifier
 * reports only if the instruction is reachable.
 * @throws {@link RelocError} for malformed records, unexpected instruction values, or candidates that disagree.
 */
export function applyCoreRelocations(
  instructions: Instruction[],
  relos: readonly CoreRelo[],
  local: Btf,
  target: Btf | CoreTargets,
  littleEndian: boolean,
  where: { object?: string; section: string },
): CoreDecision[] {
  const targets: CoreTargets = 'kernel' in target ? target : { kernel: target };
  const decisions: CoreDecision[] = [];
  for (const relo of relos) {
    const index = relo.insnOffset / 8;
    const context = { ...where, insn: index };
    const insn = instructions[index];
    if (insn === undefined || relo.insnOffset % 8 !== 0) {
      throw new RelocError('core-bad-access', 'CO-RE relocation does not point at an instruction', context);
    }
    const { result, localDescription, localValue, checkable } = resolve(local, targets, relo, littleEndian, context);
    const compiled = currentValue(instructions, index);
    if (checkable && compiled !== localValue) {
      throw new RelocError(
        'bad-instruction',
        `instruction holds ${compiled}, but ${localDescription} gives ${localValue} locally`,
        context,
      );
    }
    const softMiss =
      result === undefined &&
      (relo.kind === CoreReloKind.FIELD_EXISTS ||
        relo.kind === CoreReloKind.TYPE_EXISTS ||
        relo.kind === CoreReloKind.TYPE_MATCHES ||
        relo.kind === CoreReloKind.TYPE_SIZE ||
        relo.kind === CoreReloKind.TYPE_ID_TARGET ||
        relo.kind === CoreReloKind.ENUMVAL_EXISTS);
    const value = result?.value ?? (softMiss ? 0n : undefined);
    const oldValue = compiled;
    let poisoned = value === undefined;
    if (value !== undefined) {
      const cls = insn.code & 0x07;
      if (cls === InsnClass.ALU || cls === InsnClass.ALU64) {
        if ((insn.code & 0x08) !== InsnSource.K)
          throw new RelocError(
            'bad-instruction',
            'CO-RE relocation on an ALU instruction with a register source',
            context,
          );
        insn.imm = Number(BigInt.asIntN(32, value));
      } else if (cls === InsnClass.LDX || cls === InsnClass.ST || cls === InsnClass.STX) {
        if (value > 32767n) poisoned = true;
        else {
          insn.off = Number(value);
          const size = result?.size;
          if (relo.kind === CoreReloKind.FIELD_BYTE_OFFSET && size !== undefined && sizeBits[size] !== undefined) {
            const current = insn.code & 0x18;
            if (current !== sizeBits[size]) {
              if (result?.signedSizeChange) poisoned = true;
              else insn.code = (insn.code & ~0x18) | (sizeBits[size] as number);
            }
          }
        }
      } else if (insn.code === LD_IMM64) {
        const wide = BigInt.asUintN(64, value);
        insn.imm = Number(BigInt.asIntN(32, wide & 0xffffffffn));
        (instructions[index + 1] as Instruction).imm = Number(BigInt.asIntN(32, wide >> 32n));
      } else {
        throw new RelocError(
          'bad-instruction',
          `CO-RE relocation on an instruction it cannot patch (code 0x${insn.code.toString(16)})`,
          context,
        );
      }
    }
    if (poisoned) poison(instructions, index);
    decisions.push({
      insn: index,
      kind: relo.kind,
      local: localDescription,
      target: result?.target,
      oldValue,
      newValue: poisoned ? undefined : value,
      poisoned,
    });
  }
  return decisions;
}

function currentValue(instructions: readonly Instruction[], index: number): bigint {
  const insn = instructions[index] as Instruction;
  const cls = insn.code & 0x07;
  if (insn.code === LD_IMM64)
    return (BigInt((instructions[index + 1] as Instruction).imm >>> 0) << 32n) | BigInt(insn.imm >>> 0);
  if (cls === InsnClass.LDX || cls === InsnClass.ST || cls === InsnClass.STX) return BigInt(insn.off);
  return BigInt(insn.imm);
}
