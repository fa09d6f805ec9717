import { alignOf, resolveType, sizeOf } from './layout.js';
import type { Btf } from './spec.js';
import type { BtfComposite, BtfEnum, BtfEnum64, BtfType } from './types.js';

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

  /** Depth-first ordering: a named type comes after everything it needs by value. */
  private orderType(id: number, throughPointer: boolean): void {
    const t = this.btf.type(id);
    if (t.kind === 'typedef') {
      this.orderTypedef(t.id, t.name, t.type, throughPointer);
      return;
    }
    if (this.ordered.has(id)) return;
    switch (t.kind) {
      case 'ptr':
        this.orderType(t.type, true);
        return;
      case 'array':
        this.orderType(t.type, throughPointer);
        return;
      case 'struct':
      case 'union': {
        if (throughPointer && t.name !== '') return;
        if (this.ordering.has(id)) return;
        this.ordering.add(id);
        for (const m of t.members) this.orderType(m.type, false);
        this.ordering.delete(id);
        if (t.name !== '') this.order.push(id);
        this.ordered.add(id);
        return;
      }
      case 'enum':
      case 'enum64':
      case 'fwd':
        if (t.name !== '') this.order.push(id);
        this.ordered.add(id);
        return;
      case 'func_proto':
        this.orderType(t.returnType, throughPointer);
        for (const p of t.params) this.orderType(p.type, throughPointer);
        return;
      case 'const':
      case 'volatile':
      case 'restrict':
      case 'type_tag':
        this.orderType(t.type, throughPointer);
        return;
      default:
        this.ordered.add(id);
    }
  }

  /**
   * A typedef of a named struct, union or enum needs only an incomplete type, so it is placed
   * at once (cycles through pointers then resolve); any other typedef comes after what it names.
   * Used by value, its target must be complete before the user, so that is ordered too.
   */
  private orderTypedef(id: number, name: string, target: number, throughPointer: boolean): void {
    if (!this.ordered.has(id)) {
      this.ordered.add(id);
      const under = this.btf.type(skipQualifierIds(this.btf, target));
      const namedTag = (under.kind === 'struct' || under.kind === 'union' || under.kind === 'fwd') && under.name !== '';
      if (!namedTag) this.orderType(target, throughPointer);
      if (!builtinTypedefs.has(name)) this.order.push(id);
    }
    if (!throughPointer) this.orderType(target, false);
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
    const visit = (id: number, top: boolean): void => {
      if (seen.has(id)) return;
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
            return;
          }
          for (const m of t.members) visit(m.type, false);
          return;
        case 'ptr':
        case 'array':
        case 'typedef':
        case 'const':
        case 'volatile':
        case 'restrict':
        case 'type_tag':
          if (t.kind === 'typedef' && !top) return;
          visit(t.type, false);
          return;
        case 'func_proto':
          visit(t.returnType, false);
          for (const p of t.params) visit(p.type, false);
          return;
      }
    };
    visit(root.id, true);
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
        const align = m.bitfieldSize > 0 || packed ? 1 : alignOf(this.btf, m.type);
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
        const align = alignOf(this.btf, m.type);
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
    for (const m of t.members) align = Math.max(align, alignOf(this.btf, m.type));
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

  /** `T inner`, built from the outside in. */
  declaration(id: number, inner: string, depth: number): string {
    const t = this.btf.type(id);
    switch (t.kind) {
      case 'void':
        return join('void', inner);
      case 'int':
      case 'float':
        return join(t.name, inner);
      case 'ptr': {
        const pointee = this.btf.type(t.type);
        const needsParens = pointee.kind === 'array' || pointee.kind === 'func_proto';
        return this.declaration(t.type, needsParens ? `(*${inner})` : `*${inner}`, depth);
      }
      case 'array':
        return this.declaration(t.type, `${inner}[${t.length}]`, depth);
      case 'func_proto': {
        const params = t.params.map((p) => (p.type === 0 ? '...' : this.declaration(p.type, '', depth)));
        return this.declaration(t.returnType, `${inner}(${params.length === 0 ? 'void' : params.join(', ')})`, depth);
      }
      case 'const':
      case 'volatile':
      case 'restrict': {
        const repeated = inner === t.kind || inner.startsWith(`${t.kind} `);
        return this.declaration(t.type, repeated ? inner : join(t.kind, inner), depth);
      }
      case 'type_tag':
        return this.declaration(t.type, inner, depth);
      case 'typedef':
        return join(this.nameOf(t), inner);
      case 'struct':
      case 'union':
        return join(t.name === '' ? this.compositeBody(t, depth) : `${t.kind} ${this.nameOf(t)}`, inner);
      case 'enum':
      case 'enum64':
        return join(t.name === '' ? this.enumBody(t, depth) : `enum ${this.nameOf(t)}`, inner);
      case 'fwd':
        return join(`${t.union ? 'union' : 'struct'} ${this.nameOf(t)}`, inner);
      default:
        return join(`/* ${t.kind} */ void`, inner);
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

/** Anonymous bitfields that fill `[from, to)` bits without raising the struct's alignment. */
function padding(indent: string, from: number, to: number): string[] {
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
