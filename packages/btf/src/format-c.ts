import { BtfError } from './errors.js';
import { alignOf, resolveType, sizeOf } from './layout.js';
import type { Btf } from './spec.js';
import type {
  BtfArray,
  BtfComposite,
  BtfEnum,
  BtfEnum64,
  BtfMember,
  BtfParam,
  BtfPtr,
  BtfReference,
  BtfType,
  BtfTypeTag,
} from './types.js';

/** Options for {@link formatC}. */
export interface FormatCOptions {
  /** Only these types and what they depend on; every type when absent. */
  readonly roots?: readonly number[];
  /** Include guard name; `__VMLINUX_H__` by default. */
  readonly guard?: string;
  /**
   * Variables (VAR ids) declared after the types, as `type name;` with anonymous types
   * spelled out (a map definition prints as `struct {…} name;`); what they need comes first.
   */
  readonly variables?: readonly number[];
  /** Wrap definitions in clang's `preserve_access_index` pragma, as bpftool does (default true). */
  readonly preserveAccessIndex?: boolean;
}

/** Typedefs that name compiler builtins and must not be redefined. */
const builtinTypedefs = new Set(['__builtin_va_list', '__gnuc_va_list']);

type Namespace = 'tag' | 'ident';

/** Anonymous types and declarators nest at most this deep in C (clang's default bracket depth is 256). */
const MAX_C_NESTING = 256;

/** Longest declaration printed: only a hostile DAG of prototypes grows one this far. */
const MAX_DECLARATION_LENGTH = 1 << 20;

/** Steps of the depth-first ordering, kept on an explicit stack so deep chains need no call stack. */
enum Op {
  Visit = 0,
  /** A struct or union's members are ordered: place it. */
  Finish = 1,
  /** A typedef's target is ordered: place the typedef. */
  Place = 2,
  /** A pointer, array, qualifier or prototype and what it reaches are ordered. */
  Leave = 3,
}

/** A step packed in one number (id, op, through-pointer flag), so ordering vmlinux allocates no step objects. */
function step(op: Op, id: number, throughPointer: boolean): number {
  return id * 8 + op * 2 + (throughPointer ? 1 : 0);
}

/** What the writer knows of each type, one byte per id. */
enum State {
  Ordered = 1,
  /** A struct or union whose members are being ordered. */
  Ordering = 2,
  /** A pointer, array, qualifier or prototype on the current ordering path (a repeat is a cycle). */
  OnChainPath = 4,
  /** A pointer, array, qualifier or prototype ordered by value. */
  ChainByValue = 8,
  /** A pointer, array, qualifier or prototype ordered through a pointer. */
  ChainThroughPointer = 16,
  /** A typedef whose target has been ordered by value. */
  TypedefByValue = 32,
  Emitted = 64,
  /** Declared (defined, or forward-declared as `struct X;`). */
  Declared = 128,
}

/**
 * Prints BTF as a C header that clang compiles, like `bpftool btf dump file … format c`:
 * named structs, unions, enums and typedefs in dependency order, forward declarations
 * where a type is only reached through a pointer, anonymous types inline, explicit padding
 * and `packed` so every member lands at its BTF offset, and `___N` suffixes where
 * different types share a name.
 */
export function formatC(btf: Btf, options: FormatCOptions = {}): string {
  return new CWriter(btf).header(options);
}

/**
 * A C declaration of `name` with type `id` (`int (*name)[4]`, `struct foo *name`), using the
 * names {@link formatC} would give; anonymous types are written inline.
 */
export function formatCDeclaration(btf: Btf, id: number, name = ''): string {
  return new CWriter(btf).declaration(id, name, 0);
}

class CWriter {
  private readonly out: string[] = [];
  /** {@link State} flags by type id. */
  private readonly state: Uint8Array;
  /** Types some other type refers to (libbpf's rule), worked out when first needed. */
  private referenced: Uint8Array | undefined;
  /** Anonymous structs, unions and enums being printed inline (a repeat is a cycle). */
  private readonly inline = new Set<number>();
  /** Alignment of each type worked out so far. */
  private readonly alignments = new Map<number, number>();
  /** Declarations being printed, one inside the other. */
  private nesting = 0;
  private readonly order: number[] = [];
  private readonly names = new Map<number, string>();
  /** The C names given to each enum's enumerators, by enum id. */
  private readonly enumeratorNames = new Map<number, string[]>();
  private readonly used = { tag: new Map<string, number>(), ident: new Map<string, number>() };
  /** Marks of the current forward-declaration walk: a type is seen when its mark equals {@link walk}. */
  private readonly walkMarks: Uint32Array;
  private walk = 0;

  constructor(private readonly btf: Btf) {
    this.state = new Uint8Array(btf.typeCount);
    this.walkMarks = new Uint32Array(btf.typeCount);
  }

  private has(id: number, flag: State): boolean {
    return ((this.state[id] as number) & flag) !== 0;
  }

  private set(id: number, flag: State): void {
    (this.state as Uint8Array)[id] = (this.state[id] as number) | flag;
  }

  private clear(id: number, flag: State): void {
    (this.state as Uint8Array)[id] = (this.state[id] as number) & ~flag;
  }

  header(options: FormatCOptions): string {
    const guard = options.guard ?? '__VMLINUX_H__';
    const variables = (options.variables ?? []).map((id) => this.btf.type(id));
    const roots = options.roots ?? (variables.length === 0 ? this.allIds() : []);
    for (const id of roots) this.orderType(id, false);
    for (const v of variables) if (v.kind === 'var') this.orderType(v.type, false);
    // clang warns about the pragma when no record follows it.
    const hasRecord = this.order.some((id) => {
      const kind = this.btf.kindOf(id);
      return kind === 'struct' || kind === 'union';
    });
    const pragma = (options.preserveAccessIndex ?? true) && hasRecord;
    this.out.push(`#ifndef ${guard}`, `#define ${guard}`, '');
    if (pragma) {
      this.out.push(
        '#ifndef BPF_NO_PRESERVE_ACCESS_INDEX',
        '#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)',
        '#endif',
        '',
      );
    }
    for (const id of this.order) this.emitDefinition(id);
    for (const v of variables) {
      if (v.kind !== 'var') continue;
      this.forwardDeclareReferences(this.btf.type(v.type));
      this.out.push(`${this.declaration(v.type, v.name, 0)};`, '');
    }
    if (pragma) {
      this.out.push('#ifndef BPF_NO_PRESERVE_ACCESS_INDEX', '#pragma clang attribute pop', '#endif', '');
    }
    this.out.push(`#endif /* ${guard} */`, '');
    return this.out.join('\n');
  }

  private allIds(): number[] {
    const ids: number[] = [];
    for (let id = 1; id < this.btf.typeCount; id++) ids.push(id);
    return ids;
  }

  /**
   * Depth-first ordering: a named type comes after everything it needs by value. Iterative,
   * so chains of any depth are ordered; a cycle that no name breaks is refused.
   */
  private orderType(root: number, rootThroughPointer: boolean): void {
    const stack: number[] = [step(Op.Visit, root, rootThroughPointer)];
    for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
      const id = Math.floor(next / 8);
      const throughPointer = (next & 1) === 1;
      switch (((next & 7) >> 1) as Op) {
        case Op.Finish:
          this.clear(id, State.Ordering);
          if (this.btf.nameOf(id) !== '') this.order.push(id);
          this.set(id, State.Ordered);
          break;
        case Op.Place:
          this.order.push(id);
          break;
        case Op.Leave:
          this.clear(id, State.OnChainPath);
          this.set(id, throughPointer ? State.ChainThroughPointer : State.ChainByValue);
          break;
        case Op.Visit:
          this.visit(id, throughPointer, stack);
          break;
      }
    }
  }

  /** Orders `id` now or pushes the steps that will (children last, so they run first). */
  private visit(id: number, throughPointer: boolean, stack: number[]): void {
    const kind = this.btf.kindOf(id);
    if (kind === 'typedef') {
      this.orderTypedef(id, throughPointer, stack);
      return;
    }
    if (this.has(id, State.Ordered)) return;
    switch (kind) {
      case 'struct':
      case 'union': {
        if (throughPointer && this.btf.nameOf(id) !== '') return;
        if (this.has(id, State.Ordering)) return;
        this.set(id, State.Ordering);
        stack.push(step(Op.Finish, id, false));
        const members = (this.btf.type(id) as BtfComposite).members;
        for (let i = members.length - 1; i >= 0; i--) {
          stack.push(step(Op.Visit, (members[i] as BtfMember).type, false));
        }
        return;
      }
      case 'enum':
      case 'enum64':
        // An anonymous enum no other type refers to declares constants only: print it on its own.
        if (this.btf.nameOf(id) !== '' || !this.isReferenced(id)) this.order.push(id);
        this.set(id, State.Ordered);
        return;
      case 'fwd':
        if (this.btf.nameOf(id) !== '') this.order.push(id);
        this.set(id, State.Ordered);
        return;
      case 'ptr':
      case 'array':
      case 'const':
      case 'volatile':
      case 'restrict':
      case 'type_tag':
      case 'func_proto': {
        if (this.has(id, throughPointer ? State.ChainThroughPointer : State.ChainByValue)) return;
        const t = this.btf.type(id);
        if (this.has(id, State.OnChainPath)) this.cycle(t);
        this.set(id, State.OnChainPath);
        stack.push(step(Op.Leave, id, throughPointer));
        if (t.kind === 'func_proto') {
          for (let i = t.params.length - 1; i >= 0; i--) {
            stack.push(step(Op.Visit, (t.params[i] as BtfParam).type, throughPointer));
          }
          stack.push(step(Op.Visit, t.returnType, throughPointer));
        } else {
          const target = (t as BtfPtr | BtfArray | BtfReference | BtfTypeTag).type;
          stack.push(step(Op.Visit, target, throughPointer || t.kind === 'ptr'));
        }
        return;
      }
      default:
        this.set(id, State.Ordered);
    }
  }

  /** True when another type names `id` ({@link Btf.referencedTypes}). */
  private isReferenced(id: number): boolean {
    this.referenced ??= this.btf.referencedTypes();
    return this.referenced[id] === 1;
  }

  /**
   * A typedef of a named struct, union or enum needs only an incomplete type, so it is placed
   * at once (cycles through pointers then resolve); any other typedef comes after what it names.
   * Used by value, its target must be complete before the user, so that is ordered too.
   */
  private orderTypedef(id: number, throughPointer: boolean, stack: number[]): void {
    const target = (this.btf.type(id) as BtfReference).type;
    // Once its target is ordered by value, a typedef used by value again needs nothing more.
    if (!throughPointer && !this.has(id, State.TypedefByValue)) {
      this.set(id, State.TypedefByValue);
      stack.push(step(Op.Visit, target, false));
    }
    if (this.has(id, State.Ordered)) return;
    this.set(id, State.Ordered);
    const under = skipQualifierIds(this.btf, target);
    const underKind = this.btf.kindOf(under);
    const namedTag =
      (underKind === 'struct' || underKind === 'union' || underKind === 'fwd') && this.btf.nameOf(under) !== '';
    if (!builtinTypedefs.has(this.btf.nameOf(id))) stack.push(step(Op.Place, id, false));
    if (!namedTag) stack.push(step(Op.Visit, target, throughPointer));
  }

  private cycle(t: BtfType): never {
    throw new BtfError('reference-cycle', `${t.kind} [${t.id}] reaches itself through types without a name`, {
      ...(this.btf.name === undefined ? {} : { object: this.btf.name }),
      typeId: t.id,
      kind: t.kind,
    });
  }

  private tooDeep(t: BtfType, what: string): never {
    throw new BtfError('too-deep', `${what} at ${t.kind} [${t.id}]`, {
      ...(this.btf.name === undefined ? {} : { object: this.btf.name }),
      typeId: t.id,
      kind: t.kind,
    });
  }

  /** The C name of a named type, with `___N` when an earlier different type took it. */
  private nameOf(t: BtfType): string {
    let name = this.names.get(t.id);
    if (name === undefined) {
      const namespace: Namespace = t.kind === 'typedef' ? 'ident' : 'tag';
      name = t.kind === 'fwd' ? t.name : this.claim(namespace, t.name);
      this.names.set(t.id, name);
    }
    return name;
  }

  private claim(namespace: Namespace, name: string): string {
    const count = (this.used[namespace].get(name) ?? 0) + 1;
    this.used[namespace].set(name, count);
    return count === 1 ? name : `${name}___${count}`;
  }

  private emitDefinition(id: number): void {
    if (this.has(id, State.Emitted)) return;
    const t = this.btf.type(id);
    switch (t.kind) {
      case 'struct':
      case 'union':
        this.forwardDeclareReferences(t);
        this.out.push(`${this.compositeBody(t, 0)};`, '');
        break;
      case 'enum':
      case 'enum64':
        this.out.push(`${this.enumBody(t, 0)};`, '');
        break;
      case 'fwd':
        if (!this.has(id, State.Declared)) this.out.push(`${t.union ? 'union' : 'struct'} ${this.nameOf(t)};`, '');
        break;
      case 'typedef':
        this.forwardDeclareReferences(t);
        this.out.push(`typedef ${this.declaration(t.type, this.nameOf(t), 0)};`, '');
        break;
    }
    this.set(id, State.Emitted | State.Declared);
  }

  /** Declares `struct X;` for each named composite this type reaches through pointers before it exists. */
  private forwardDeclareReferences(root: BtfType): void {
    const walk = ++this.walk;
    const marks = this.walkMarks;
    const stack: number[] = [root.id];
    const push = (id: number) => {
      if (marks[id] !== walk) stack.push(id);
    };
    for (let id = stack.pop(); id !== undefined; id = stack.pop()) {
      if (marks[id] === walk) continue;
      marks[id] = walk;
      const top = id === root.id;
      const t = this.btf.type(id);
      switch (t.kind) {
        case 'struct':
        case 'union':
          if (t.name !== '' && !top) {
            if (!this.has(id, State.Declared)) {
              this.out.push(`${t.kind} ${this.nameOf(t)};`, '');
              this.set(id, State.Declared);
            }
            break;
          }
          for (let i = t.members.length - 1; i >= 0; i--) push((t.members[i] as BtfMember).type);
          break;
        case 'typedef':
          if (top) push(t.type);
          break;
        case 'ptr':
        case 'array':
        case 'const':
        case 'volatile':
        case 'restrict':
        case 'type_tag':
          push(t.type);
          break;
        case 'func_proto':
          for (let i = t.params.length - 1; i >= 0; i--) push((t.params[i] as BtfParam).type);
          push(t.returnType);
          break;
      }
    }
  }

  private compositeBody(t: BtfComposite, depth: number): string {
    const indent = '\t'.repeat(depth + 1);
    const isUnion = t.kind === 'union';
    const packed = !isUnion && this.needsPacking(t);
    const lines: string[] = [];
    let endBits = 0;
    for (const m of t.members) {
      if (!isUnion) {
        // Where C would put the member; anything before its BTF offset is explicit padding.
        const align = m.bitfieldSize > 0 || packed ? 1 : alignOf(this.btf, m.type, this.alignments);
        const natural = m.bitfieldSize > 0 ? endBits : alignUp(endBits, align * 8);
        if (m.bitOffset > natural) lines.push(...padding(indent, endBits, m.bitOffset));
      }
      const declaration = this.declaration(m.type, m.name, depth + 1);
      lines.push(`${indent}${declaration}${m.bitfieldSize > 0 ? `: ${m.bitfieldSize}` : ''};`);
      if (!isUnion) endBits = m.bitOffset + this.memberBits(m.type, m.bitfieldSize);
    }
    if (!isUnion) {
      const tail = alignUp(endBits, (packed ? 1 : this.naturalAlign(t)) * 8);
      if (tail < t.size * 8) lines.push(...padding(indent, endBits, t.size * 8));
    }
    const name = t.name === '' ? '' : ` ${this.nameOf(t)}`;
    const body = lines.length === 0 ? '{}' : `{\n${lines.join('\n')}\n${'\t'.repeat(depth)}}`;
    return `${t.kind}${name} ${body}${packed ? ' __attribute__((packed))' : ''}`;
  }

  /** True when C's natural layout cannot reach the BTF offsets or size: a member sits below its alignment. */
  private needsPacking(t: BtfComposite): boolean {
    let endBits = 0;
    for (const m of t.members) {
      if (m.bitfieldSize === 0) {
        const align = alignOf(this.btf, m.type, this.alignments);
        if (m.bitOffset % (align * 8) !== 0 || m.bitOffset < alignUp(endBits, align * 8)) return true;
      }
      endBits = m.bitOffset + this.memberBits(m.type, m.bitfieldSize);
    }
    return alignUp(endBits, this.naturalAlign(t) * 8) > t.size * 8 || t.size % this.naturalAlign(t) !== 0;
  }

  private memberBits(type: number, bitfieldSize: number): number {
    if (bitfieldSize > 0) return bitfieldSize;
    return resolveType(this.btf, type).kind === 'fwd' ? 0 : sizeOf(this.btf, type) * 8;
  }

  /** Alignment C gives the struct from its members alone (no packing). */
  private naturalAlign(t: BtfComposite): number {
    let align = 1;
    for (const m of t.members) align = Math.max(align, alignOf(this.btf, m.type, this.alignments));
    return align;
  }

  private enumBody(t: BtfEnum | BtfEnum64, depth: number): string {
    const indent = '\t'.repeat(depth + 1);
    let names = this.enumeratorNames.get(t.id);
    if (names === undefined) {
      names = t.values.map((v) => this.claim('ident', v.name));
      this.enumeratorNames.set(t.id, names);
    }
    const values = t.values.map((v, i) => `${indent}${names[i]} = ${enumLiteral(t, v.value)},`);
    const name = t.name === '' ? '' : ` ${this.nameOf(t)}`;
    const packed = t.size < 4 ? ' __attribute__((packed))' : '';
    return `enum${name} {\n${values.join('\n')}\n${'\t'.repeat(depth)}}${packed}`;
  }

  /**
   * `T inner`, built from the outside in: pointers, arrays, qualifiers and prototypes in a
   * loop (a chain longer than the type count is a cycle), anonymous types inline up to
   * {@link MAX_C_NESTING} levels.
   */
  declaration(id: number, inner: string, depth: number): string {
    if (this.nesting >= MAX_C_NESTING)
      this.tooDeep(this.btf.type(id), `declarations nest deeper than ${MAX_C_NESTING} levels`);
    this.nesting++;
    try {
      return this.declarator(id, inner, depth);
    } finally {
      this.nesting--;
    }
  }

  private declarator(id: number, inner: string, depth: number): string {
    for (let steps = 0; ; steps++) {
      const t = this.btf.type(id);
      if (steps > this.btf.typeCount) this.cycle(t);
      if (inner.length > MAX_DECLARATION_LENGTH) {
        throw new BtfError(
          'too-large',
          `the declaration of type [${t.id}] grows past ${MAX_DECLARATION_LENGTH} characters`,
          {
            ...(this.btf.name === undefined ? {} : { object: this.btf.name }),
            typeId: t.id,
            kind: t.kind,
          },
        );
      }
      switch (t.kind) {
        case 'ptr': {
          const pointee = this.btf.type(t.type);
          const needsParens = pointee.kind === 'array' || pointee.kind === 'func_proto';
          inner = needsParens ? `(*${inner})` : `*${inner}`;
          id = t.type;
          continue;
        }
        case 'array':
          inner = `${inner}[${t.length}]`;
          id = t.type;
          continue;
        case 'func_proto': {
          const params = t.params.map((p) => (p.type === 0 ? '...' : this.declaration(p.type, '', depth)));
          inner = `${inner}(${params.length === 0 ? 'void' : params.join(', ')})`;
          id = t.returnType;
          continue;
        }
        case 'const':
        case 'volatile':
        case 'restrict': {
          const repeated = inner === t.kind || inner.startsWith(`${t.kind} `);
          if (!repeated) inner = join(t.kind, inner);
          id = t.type;
          continue;
        }
        case 'type_tag':
          id = t.type;
          continue;
        case 'void':
          return join('void', inner);
        case 'int':
        case 'float':
          return join(t.name, inner);
        case 'typedef':
          return join(this.nameOf(t), inner);
        case 'struct':
        case 'union':
          return join(
            t.name === '' ? this.inlineBody(t, () => this.compositeBody(t, depth)) : `${t.kind} ${this.nameOf(t)}`,
            inner,
          );
        case 'enum':
        case 'enum64':
          return join(
            t.name === '' ? this.inlineBody(t, () => this.enumBody(t, depth)) : `enum ${this.nameOf(t)}`,
            inner,
          );
        case 'fwd':
          return join(`${t.union ? 'union' : 'struct'} ${this.nameOf(t)}`, inner);
        default:
          return join(`/* ${t.kind} */ void`, inner);
      }
    }
  }

  /** The body of an anonymous type printed where it is used; one that contains itself is a cycle. */
  private inlineBody(t: BtfType, body: () => string): string {
    if (this.inline.has(t.id)) this.cycle(t);
    this.inline.add(t.id);
    try {
      return body();
    } finally {
      this.inline.delete(t.id);
    }
  }
}

function join(base: string, inner: string): string {
  return inner === '' ? base : `${base} ${inner}`;
}

function skipQualifierIds(btf: Btf, id: number): number {
  let t = btf.type(id);
  for (let depth = 0; depth < 32 && (t.kind === 'const' || t.kind === 'volatile' || t.kind === 'type_tag'); depth++) {
    t = btf.type(t.type);
  }
  return t.id;
}

function alignUp(bits: number, alignBits: number): number {
  return Math.ceil(bits / alignBits) * alignBits;
}

/** Most padding lines one gap may take (512 KB of padding): only a hostile size needs more. */
const MAX_PADDING_LINES = 1 << 16;

/** Anonymous bitfields that fill `[from, to)` bits without raising the struct's alignment. */
function padding(indent: string, from: number, to: number): string[] {
  if ((to - from) / 64 > MAX_PADDING_LINES) {
    throw new BtfError(
      'too-large',
      `a gap of ${(to - from) / 8} bytes needs more than ${MAX_PADDING_LINES} padding lines`,
      {
        expected: `≤ ${(MAX_PADDING_LINES * 64) / 8} bytes`,
        actual: (to - from) / 8,
      },
    );
  }
  const lines: string[] = [];
  let at = from;
  while (at < to) {
    const roomInWord = 64 - (at % 64);
    const bits = Math.min(roomInWord, to - at);
    lines.push(`${indent}long: ${bits};`);
    at += bits;
  }
  return lines;
}

function enumLiteral(t: BtfEnum | BtfEnum64, value: number | bigint): string {
  if (t.kind === 'enum64') {
    const v = BigInt(value);
    return t.signed ? `${v}LL` : `${BigInt.asUintN(64, v)}ULL`;
  }
  const v = Number(value);
  if (!t.signed && v > 0x7fffffff) return `${v}U`;
  if (t.signed && v === -2147483648) return '(-2147483647 - 1)';
  return `${v}`;
}
