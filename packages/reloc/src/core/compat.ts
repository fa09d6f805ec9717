import { type Btf, type BtfKindName, type BtfType, essentialName, MAX_RESOLVE_DEPTH, resolveType } from '@bpfkit/btf';
import { RelocError } from '../errors.js';

/**
 * The three ways libbpf compares a local type with a target type. Each walks both graphs
 * together, at most 32 levels deep (deeper is an error, as in libbpf); comparisons that
 * branch (function parameters, struct members) are remembered per pair and level, so a
 * graph that shares subgraphs (a DAG) costs its number of distinct pairs, not its paths.
 */

const enumish = (kind: BtfKindName) => kind === 'enum' || kind === 'enum64';
const composite = (kind: BtfKindName) => kind === 'struct' || kind === 'union';

/** Same kind, or both enums (ENUM and ENUM64 count as one). */
export const kindsCompatible = (a: BtfKindName, b: BtfKindName): boolean => a === b || (enumish(a) && enumish(b));

/** Both anonymous, or the same essential name (a target name must not be empty unless the local one is). */
function namesMatch(local: string, target: string): boolean {
  if (target === '') return local === '';
  return essentialName(local) === essentialName(target);
}

/**
 * Most nested comparisons one relocation may make. Remembered pairs keep real graphs far
 * below it; it bounds the work hostile BTF can cause.
 */
export const MAX_COMPARISONS = 1_000_000;

/** One comparison between two BTFs: where errors point, the pairs already answered, the work done. */
class Comparison {
  private readonly memo = new Map<string, boolean>();
  private steps = 0;

  constructor(
    readonly local: Btf,
    readonly target: Btf,
    private readonly where: RelocError['context'],
  ) {}

  tooDeep(): never {
    throw new RelocError(
      'core-bad-access',
      `types nest more than ${MAX_RESOLVE_DEPTH} levels deep; libbpf refuses such relocations too`,
      this.where,
    );
  }

  remember(key: string, compute: () => boolean): boolean {
    const known = this.memo.get(key);
    if (known !== undefined) return known;
    if (++this.steps > MAX_COMPARISONS) {
      throw new RelocError(
        'core-bad-access',
        `comparing the types takes more than ${MAX_COMPARISONS} steps`,
        this.where,
      );
    }
    const result = compute();
    this.memo.set(key, result);
    return result;
  }
}

/**
 * Field compatibility (field relocations): any two composites; pointers and floats always;
 * forward declarations and enums by essential name or when one is anonymous; integers
 * unless one is an old-style bitfield; arrays by their elements.
 */
export function fieldsCompatible(
  local: Btf,
  localId: number,
  target: Btf,
  targetId: number,
  where: RelocError['context'] = {},
): boolean {
  for (let depth = 0; depth <= MAX_RESOLVE_DEPTH; depth++) {
    const l = resolveType(local, localId);
    const t = resolveType(target, targetId);
    if (composite(l.kind) && composite(t.kind)) return true;
    if (!kindsCompatible(l.kind, t.kind)) return false;
    switch (l.kind) {
      case 'ptr':
      case 'float':
        return true;
      case 'fwd':
      case 'enum':
      case 'enum64': {
        const a = essentialName(l.name);
        const b = essentialName(t.name);
        return a === '' || b === '' || a === b;
      }
      case 'int':
        return l.bitOffset === 0 && (t as BtfType & { kind: 'int' }).bitOffset === 0;
      case 'array':
        localId = l.type;
        targetId = (t as BtfType & { kind: 'array' }).type;
        break;
      default:
        return false;
    }
  }
  return new Comparison(local, target, where).tooDeep();
}

/**
 * Type compatibility (TYPE_EXISTS, TYPE_SIZE, TYPE_ID_TARGET): the same kind after typedefs
 * and qualifiers (names below the root are not compared), integers unless old-style
 * bitfields, recursing through pointers, array elements and function prototypes (arity,
 * parameters, return type).
 */
export function typesCompatible(
  local: Btf,
  localId: number,
  target: Btf,
  targetId: number,
  where: RelocError['context'] = {},
): boolean {
  return compatible(new Comparison(local, target, where), localId, targetId, MAX_RESOLVE_DEPTH);
}

function compatible(c: Comparison, localId: number, targetId: number, level: number): boolean {
  if (!kindsCompatible(c.local.type(localId).kind, c.target.type(targetId).kind)) return false;
  for (let depth = 0; depth < MAX_RESOLVE_DEPTH; depth++) {
    const l = resolveType(c.local, localId);
    const t = resolveType(c.target, targetId);
    if (!kindsCompatible(l.kind, t.kind)) return false;
    switch (l.kind) {
      case 'void':
      case 'struct':
      case 'union':
      case 'enum':
      case 'enum64':
      case 'fwd':
        return true;
      case 'int':
        return l.bitOffset === 0 && (t as BtfType & { kind: 'int' }).bitOffset === 0;
      case 'ptr':
      case 'array':
        localId = l.type;
        targetId = (t as BtfType & { kind: 'ptr' | 'array' }).type;
        break;
      case 'func_proto': {
        const tp = t as BtfType & { kind: 'func_proto' };
        if (l.params.length !== tp.params.length) return false;
        for (let i = 0; i < l.params.length; i++) {
          if (level <= 0) c.tooDeep();
          const lp = resolveType(c.local, (l.params[i] as { type: number }).type).id;
          const tq = resolveType(c.target, (tp.params[i] as { type: number }).type).id;
          const ok = c.remember(`${lp}:${tq}:${level - 1}`, () => compatible(c, lp, tq, level - 1));
          if (!ok) return false;
        }
        localId = resolveType(c.local, l.returnType).id;
        targetId = resolveType(c.target, tp.returnType).id;
        break;
      }
      default:
        return false;
    }
  }
  return c.tooDeep();
}

/**
 * TYPE_MATCHES, stricter than compatibility: names match at every level (up to a flavor);
 * integers of the same size and signedness; enums of the same size whose every local
 * enumerator name exists in the target; composites whose every local member has a
 * same-named target member of a matching type, except that behind a pointer a struct or
 * union is compared by kind and name only (and may match a forward declaration); arrays of
 * the same length; function prototypes by arity, parameters and return type.
 */
export function typesMatch(
  local: Btf,
  localId: number,
  target: Btf,
  targetId: number,
  where: RelocError['context'] = {},
): boolean {
  return matches(new Comparison(local, target, where), localId, targetId, false, MAX_RESOLVE_DEPTH);
}

function matches(c: Comparison, localId: number, targetId: number, behindPointer: boolean, level: number): boolean {
  if (level <= 0) c.tooDeep();
  let behind = behindPointer;
  const nested = (l: number, t: number) =>
    c.remember(`${l}:${t}:${behind ? 1 : 0}:${level - 1}`, () => matches(c, l, t, behind, level - 1));
  for (let depth = 0; depth < MAX_RESOLVE_DEPTH; depth++) {
    const l = resolveType(c.local, localId);
    const t = resolveType(c.target, targetId);
    if (!namesMatch(l.name, t.name)) return false;
    switch (l.kind) {
      case 'void':
        return t.kind === 'void';
      case 'fwd':
        if (t.kind === 'fwd') return l.union === t.union;
        return behind && ((t.kind === 'struct' && !l.union) || (t.kind === 'union' && l.union));
      case 'enum':
      case 'enum64': {
        if (t.kind !== 'enum' && t.kind !== 'enum64') return false;
        const targetValues = t.values;
        if (l.size !== t.size || l.values.length > targetValues.length) return false;
        return l.values.every((v) => targetValues.some((tv) => namesMatch(v.name, tv.name)));
      }
      case 'struct':
      case 'union': {
        if (behind) return t.kind === l.kind || (t.kind === 'fwd' && t.union === (l.kind === 'union'));
        if (t.kind !== l.kind) return false;
        const targetMembers = (t as typeof l).members;
        if (l.members.length > targetMembers.length) return false;
        return l.members.every((lm) =>
          targetMembers.some((tm) => namesMatch(lm.name, tm.name) && nested(lm.type, tm.type)),
        );
      }
      case 'int':
        return t.kind === 'int' && l.size === t.size && (l.encoding & 1) === (t.encoding & 1);
      case 'ptr':
        if (t.kind !== 'ptr') return false;
        behind = true;
        localId = l.type;
        targetId = t.type;
        break;
      case 'array':
        if (t.kind !== 'array' || l.length !== t.length) return false;
        localId = l.type;
        targetId = t.type;
        break;
      case 'func_proto': {
        if (t.kind !== 'func_proto' || l.params.length !== t.params.length) return false;
        for (let i = 0; i < l.params.length; i++) {
          if (!nested((l.params[i] as { type: number }).type, (t.params[i] as { type: number }).type)) return false;
        }
        localId = l.returnType;
        targetId = t.returnType;
        break;
      }
      default:
        return false;
    }
  }
  return c.tooDeep();
}
