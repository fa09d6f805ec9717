import { BtfError } from './errors.js';
import { alignOf, resolveType, sizeOf } from './layout.js';
import type { Btf } from './spec.js';
import type { BtfComposite, BtfEnum, BtfEnum64, BtfMember, BtfParam, BtfType } from './types.js';

/** Options for {@link formatC}. */
export interface FormatCOptions {
  /** Only these types and what they depend on; every type when absent. */
  readonly roots?: readonly number[];
  /** Include guard name; `__VMLINUX_H__` by default. */
  readonly guard?: string;
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

/** A step of the depth-first ordering, kept on an explicit stack so deep chains need no call stack. */
type OrderStep =
  | { readonly op: 'visit'; readonly id: number; readonly throughPointer: boolean }
  /** A struct or union's members are ordered: place it. */
  | { readonly op: 'finish'; readonly id: number }
  /** A typedef's target is ordered: place the typedef. */
  | { readonly op: 'place'; readonly id: number }
  /** A pointer, array, qualifier or prototype and what it reaches are ordered. */
  | { readonly op: 'leave'; readonly id: number; readonly throughPointer: boolean };

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
  private readonly emitted = new Set<number>();
  private readonly declared = new Set<number>();
  private readonly ordered = new Set<number>();
  private readonly ordering = new Set<number>();
  /** Pointers, arrays, qualifiers and prototypes on the current ordering path (a repeat is a cycle). */
  private readonly chainPath = new Set<number>();
  /** Pointers, arrays, qualifiers and prototypes already ordered, by value and through a pointer. */
  private readonly chainsByValue = new Set<number>();
  private readonly chainsThroughPointer = new Set<number>();
  /** Typedefs whose target has been ordered by value. */
  private readonly typedefsByValue = new Set<number>();
  /** Anonymous structs, unions and enums being printed inline (a repeat is a cycle). */
  private readonly inline = new Set<number>();
  /** Alignment of each type worked out so far. */
  private readonly alignments = new Map<number, number>();
  /** Declarations being printed, one inside the other. */
  private nesting = 0;
  private readonly order: number[] = [];
  private readonly names = new Map<number, string>();
  private readonly enumeratorNames = new Map<string, string>();
  private readonly used = { tag: new Map<string, number>(), ident: new Map<string, number>() };

  constructor(private readonly btf: Btf) {}

  header(options: FormatCOptions): string {
    const guard = options.guard ?? '__VMLINUX_H__';
    const roots = options.roots ?? this.allIds();
    for (const id of roots) this.orderType(id, false);
    // clang warns about the pragma when no record follows it.
    const hasRecord = this.order.some((id) => ['struct', 'union'].includes(this.btf.kindOf(id)));
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
    const stack: OrderStep[] = [{ op: 'visit', id: root, throughPointer: rootThroughPointer }];
    for (let step = stack.pop(); step !== undefined; step = stack.pop()) {
      switch (step.op) {
        case 'finish': {
          const t = this.btf.type(step.id);
          this.ordering.delete(step.id);
          if (t.name !== '') this.order.push(step.id);
          this.ordered.add(step.id);
          break;
        }
        case 'place':
          this.order.push(step.id);
          break;
        case 'leave':
          this.chainPath.delete(step.id);
          (step.throughPointer ? this.chainsThroughPointer : this.chainsByValue).add(step.id);
          break;
        case 'visit':
          this.visit(step.id, step.throughPointer, stack);
          break;
      }
    }
  }

  /** Orders `id` now or pushes the steps that will (children last, so they run first). */
  private visit(id: number, throughPointer: boolean, stack: OrderStep[]): void {
    const t = this.btf.type(id);
    if (t.kind === 'typedef') {
      this.orderTypedef(t.id, t.name, t.type, throughPointer, stack);
      return;
    }
    if (this.ordered.has(id)) return;
    switch (t.kind) {
      case 'struct':
      case 'union': {
        if (throughPointer && t.name !== '') return;
        if (this.ordering.has(id)) return;
        this.ordering.add(id);
        stack.push({ op: 'finish', id });
        for (let i = t.members.length - 1; i >= 0; i--) {
          stack.push({ op: 'visit', id: (t.members[i] as BtfMember).type, throughPointer: false });
        }
        return;
      }
      case 'enum':
      case 'enum64':
      case 'fwd':
        if (t.name !== '') this.order.push(id);
        this.ordered.add(id);
        return;
      case 'ptr':
      case 'array':
      case 'const':
      case 'volatile':
      case 'restrict':
      case 'type_tag':
      case 'func_proto': {
        if ((throughPointer ? this.chainsThroughPointer : this.chainsByValue).has(id)) return;
        if (this.chainPath.has(id)) this.cycle(t);
        this.chainPath.add(id);
        stack.push({ op: 'leave', id, throughPointer });
        if (t.kind === 'func_proto') {
          for (let i = t.params.length - 1; i >= 0; i--) {
            stack.push({ op: 'visit', id: (t.params[i] as BtfParam).type, throughPointer });
          }
          stack.push({ op: 'visit', id: t.returnType, throughPointer });
        } else {
          stack.push({ op: 'visit', id: t.type, throughPointer: throughPointer || t.kind === 'ptr' });
        }
        return;
      }
      default:
        this.ordered.add(id);
    }
  }

  /**
   * A typedef of a named struct, union or enum needs only an incomplete type, so it is placed
   * at once (cycles through pointers then resolve); any other typedef comes after what it names.
   * Used by value, its target must be complete before the user, so that is ordered too.
   */
  private orderTypedef(id: number, name: string, target: number, throughPointer: boolean, stack: OrderStep[]): void {
    // Once its target is ordered by value, a typedef used by value again needs nothing more.
    if (!throughPointer && !this.typedefsByValue.has(id)) {
      this.typedefsByValue.add(id);
      stack.push({ op: 'visit', id: target, throughPointer: false });
    }
    if (this.ordered.has(id)) return;
    this.ordered.add(id);
    const under = this.btf.type(skipQualifierIds(this.btf, target));
    const namedTag = (under.kind === 'struct' || under.kind === 'union' || under.kind === 'fwd') && under.name !== '';
    if (!builtinTypedefs.has(name)) stack.push({ op: 'place', id });
    if (!namedTag) stack.push({ op: 'visit', id: target, throughPointer });
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
    if (this.emitted.has(id)) return;
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
        if (!this.declared.has(id)) this.out.push(`${t.union ? 'union' : 'struct'} ${this.nameOf(t)};`, '');
        break;
      case 'typedef':
        this.forwardDeclareReferences(t);
        this.out.push(`typedef ${this.declaration(t.type, this.nameOf(t), 0)};`, '');
        break;
    }
    this.emitted.add(id);
    this.declared.add(id);
  }

  /** Declares `struct X;` for each named composite this type reaches through pointers before it exists. */
  private forwardDeclareReferences(root: BtfType): void {
    const seen = new Set<number>();
    const stack: { id: number; top: boolean }[] = [{ id: root.id, top: true }];
    const push = (ids: readonly number[]) => {
      for (let i = ids.length - 1; i >= 0; i--) stack.push({ id: ids[i] as number, top: false });
    };
    for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
      const { id, top } = next;
      if (seen.has(id)) continue;
      seen.add(id);
      const t = this.btf.type(id);
      switch (t.kind) {
        case 'struct':
        case 'union':
          if (t.name !== '' && !top) {
            if (!this.declared.has(id) && !this.emitted.has(id)) {
              this.out.push(`${t.kind} ${this.nameOf(t)};`, '');
              this.declared.add(id);
            }
            break;
          }
          push(t.members.map((m) => m.type));
          break;
        case 'ptr':
        case 'array':
        case 'typedef':
        case 'const':
        case 'volatile':
        case 'restrict':
        case 'type_tag':
          if (t.kind === 'typedef' && !top) break;
          push([t.type]);
          break;
        case 'func_proto':
          push([t.returnType, ...t.params.map((p) => p.type)]);
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
    const values = t.values.map((v) => {
      const key = `${v.name}`;
      let name = this.enumeratorNames.get(`${t.id}:${key}`);
      if (name === undefined) {
        name = this.claim('ident', v.name);
        this.enumeratorNames.set(`${t.id}:${key}`, name);
      }
      return `${indent}${name} = ${enumLiteral(t, v.value)},`;
    });
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
