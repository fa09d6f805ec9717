import { BtfError } from './errors.js';
import { BtfKind, kindNames } from './kinds.js';
import { type AlignmentCache, alignOf, resolvedId, sizeOf } from './layout.js';
import { NameClaims } from './name-claims.js';
import type { Btf } from './spec.js';
import type { TypeRecords } from './type-records.js';

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
  return [...formatCChunks(btf, options)].join('');
}

/**
 * {@link formatC}'s header in pieces of about `chunk` characters, made as they are written out:
 * vmlinux's 2.8 MB need not sit in memory at once.
 */
export function formatCChunks(btf: Btf, options: FormatCOptions = {}, chunk = 1 << 16): Generator<string> {
  return new CWriter(btf).header(options, chunk);
}

/**
 * A C declaration of `name` with type `id` (`int (*name)[4]`, `struct foo *name`), using the
 * names {@link formatC} would give; anonymous types are written inline.
 */
export function formatCDeclaration(btf: Btf, id: number, name = ''): string {
  return new CWriter(btf).declaration(id, name, 0);
}

/** Tabs for each indent depth, built once per depth. */
const tabs: string[] = [''];

function indentOf(depth: number): string {
  for (let d = tabs.length; d <= depth; d++) tabs.push(`${tabs[d - 1]}\t`);
  return tabs[depth] as string;
}

/** Offset in bits of the member whose entry starts at word `w` (a bitfield keeps its width in the top byte). */
function memberBitOffset(words: Uint32Array, w: number, bitfields: boolean): number {
  const offset = words[w + 2] as number;
  return bitfields ? offset & 0xffffff : offset;
}

/** Bitfield width of the member whose entry starts at word `w`, 0 when it is not one. */
function memberBitfieldSize(words: Uint32Array, w: number, bitfields: boolean): number {
  return bitfields ? (words[w + 2] as number) >>> 24 : 0;
}

/** Alignments by type id in a byte each (they are 1 to 8; 0 until worked out). */
class AlignmentsById implements AlignmentCache {
  private readonly bytes: Uint8Array;

  constructor(count: number) {
    this.bytes = new Uint8Array(count);
  }

  get(id: number): number | undefined {
    const align = this.bytes[id] ?? 0;
    return align === 0 ? undefined : align;
  }

  set(id: number, align: number): void {
    this.bytes[id] = align;
  }
}

class CWriter {
  /** The records read, by type id. */
  private readonly r: TypeRecords;
  /** {@link State} flags by type id. */
  private readonly state: Uint8Array;
  /** Types some other type refers to (libbpf's rule), worked out when first needed. */
  private referenced: Uint8Array | undefined;
  /** Anonymous structs, unions and enums being printed inline (a repeat is a cycle). */
  private readonly inline = new Set<number>();
  /** Alignment of each type worked out so far, for {@link alignOf}. */
  private readonly alignments: AlignmentsById;
  /** One more than the bits a member of each type takes, by type id, 0 until worked out. */
  private readonly bitsById: Float64Array;
  /** Declarations being printed, one inside the other. */
  private nesting = 0;
  private readonly order: number[] = [];
  /** The C name given to each named type (and each base type's name), by type id. */
  private readonly names: (string | undefined)[];
  /** The claim counts ({@link NameClaims.claim}) of each enum's enumerators, by enum id, once printed. */
  private readonly enumeratorClaims = new Map<number, Uint32Array>();
  /** Names claimed in C's tag namespace (struct, union, enum) and its ordinary one (typedefs, enumerators). */
  private readonly claims: { readonly tag: NameClaims; readonly ident: NameClaims };
  /** Text written and not yet handed out as a chunk. */
  private pending = '';
  /** Marks of the current forward-declaration walk: a type is seen when its mark equals {@link walk}. */
  private readonly walkMarks: Uint32Array;
  private walk = 0;

  constructor(private readonly btf: Btf) {
    this.r = btf.records();
    this.state = new Uint8Array(btf.typeCount);
    this.walkMarks = new Uint32Array(btf.typeCount);
    this.alignments = new AlignmentsById(btf.typeCount);
    this.bitsById = new Float64Array(btf.typeCount);
    this.names = new Array(btf.typeCount);
    this.claims = { tag: new NameClaims(btf.strings), ident: new NameClaims(btf.strings) };
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

  /** The header in pieces of at least `chunk` characters (the last may be shorter). */
  *header(options: FormatCOptions, chunk: number): Generator<string> {
    const guard = options.guard ?? '__VMLINUX_H__';
    const variables = (options.variables ?? []).map((id) => this.btf.type(id));
    if (options.roots !== undefined) {
      for (const id of options.roots) this.orderType(id, false);
    } else if (variables.length === 0) {
      for (let id = 1; id < this.r.count; id++) this.orderType(id, false);
    }
    for (const v of variables) if (v.kind === 'var') this.orderType(v.type, false);
    // clang warns about the pragma when no record follows it.
    const hasRecord = this.order.some((id) => {
      const kind = this.r.kind(id);
      return kind === BtfKind.STRUCT || kind === BtfKind.UNION;
    });
    const pragma = (options.preserveAccessIndex ?? true) && hasRecord;
    this.write(`#ifndef ${guard}\n#define ${guard}\n\n`);
    if (pragma) {
      this.write(
        '#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n' +
          '#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n' +
          '#endif\n\n',
      );
    }
    for (const id of this.order) {
      this.emitDefinition(id);
      const text = this.take(chunk);
      if (text !== undefined) yield text;
    }
    for (const v of variables) {
      if (v.kind !== 'var') continue;
      this.forwardDeclareReferences(v.type);
      this.write(`${this.declaration(v.type, v.name, 0)};\n\n`);
    }
    if (pragma) this.write('#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute pop\n#endif\n\n');
    this.write(`#endif /* ${guard} */\n`);
    yield this.take(0) as string;
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
          if (this.r.named(id)) this.order.push(id);
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
    const r = this.r;
    const kind = r.kind(id);
    if (kind === BtfKind.TYPEDEF) {
      this.orderTypedef(id, throughPointer, stack);
      return;
    }
    if (this.has(id, State.Ordered)) return;
    switch (kind) {
      case BtfKind.STRUCT:
      case BtfKind.UNION: {
        if (throughPointer && r.named(id)) return;
        if (this.has(id, State.Ordering)) return;
        this.set(id, State.Ordering);
        stack.push(step(Op.Finish, id, false));
        const words = r.words;
        const first = r.entries(id);
        for (let w = first + 3 * (r.vlen(id) - 1); w >= first; w -= 3) {
          stack.push(step(Op.Visit, words[w + 1] as number, false));
        }
        return;
      }
      case BtfKind.ENUM:
      case BtfKind.ENUM64:
        // An anonymous enum no other type refers to declares constants only: print it on its own.
        if (r.named(id) || !this.isReferenced(id)) this.order.push(id);
        this.set(id, State.Ordered);
        return;
      case BtfKind.FWD:
        if (r.named(id)) this.order.push(id);
        this.set(id, State.Ordered);
        return;
      case BtfKind.PTR:
      case BtfKind.ARRAY:
      case BtfKind.VOLATILE:
      case BtfKind.CONST:
      case BtfKind.RESTRICT:
      case BtfKind.TYPE_TAG:
      case BtfKind.FUNC_PROTO: {
        if (this.has(id, throughPointer ? State.ChainThroughPointer : State.ChainByValue)) return;
        if (this.has(id, State.OnChainPath)) this.cycle(id);
        this.set(id, State.OnChainPath);
        stack.push(step(Op.Leave, id, throughPointer));
        if (kind === BtfKind.FUNC_PROTO) {
          const words = r.words;
          const first = r.entries(id);
          for (let w = first + 2 * (r.vlen(id) - 1); w >= first; w -= 2) {
            stack.push(step(Op.Visit, words[w + 1] as number, throughPointer));
          }
          stack.push(step(Op.Visit, r.sizeOrType(id), throughPointer));
        } else {
          stack.push(step(Op.Visit, this.target(id, kind), throughPointer || kind === BtfKind.PTR));
        }
        return;
      }
      default:
        this.set(id, State.Ordered);
    }
  }

  /** The type a pointer, array, qualifier or typedef `id` of kind `kind` leads to. */
  private target(id: number, kind: number): number {
    return kind === BtfKind.ARRAY ? (this.r.words[this.r.entries(id)] as number) : this.r.sizeOrType(id);
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
    const r = this.r;
    const target = r.sizeOrType(id);
    // Once its target is ordered by value, a typedef used by value again needs nothing more.
    if (!throughPointer && !this.has(id, State.TypedefByValue)) {
      this.set(id, State.TypedefByValue);
      stack.push(step(Op.Visit, target, false));
    }
    if (this.has(id, State.Ordered)) return;
    this.set(id, State.Ordered);
    const under = this.skipQualifiers(target);
    const underKind = r.kind(under);
    const namedTag =
      (underKind === BtfKind.STRUCT || underKind === BtfKind.UNION || underKind === BtfKind.FWD) && r.named(under);
    if (!builtinTypedefs.has(r.name(id))) stack.push(step(Op.Place, id, false));
    if (!namedTag) stack.push(step(Op.Visit, target, throughPointer));
  }

  /** Follows const, volatile and type tags (at most 32 of them) to the type underneath. */
  private skipQualifiers(id: number): number {
    for (let depth = 0; depth < 32; depth++) {
      const kind = this.r.kind(id);
      if (kind !== BtfKind.CONST && kind !== BtfKind.VOLATILE && kind !== BtfKind.TYPE_TAG) break;
      id = this.r.sizeOrType(id);
    }
    return id;
  }

  /** The error context naming type `id`. */
  private context(id: number): BtfError['context'] {
    return {
      ...(this.btf.name === undefined ? {} : { object: this.btf.name }),
      typeId: id,
      kind: kindNames[this.r.kind(id)] as string,
    };
  }

  private cycle(id: number): never {
    throw new BtfError(
      'reference-cycle',
      `${kindNames[this.r.kind(id)]} [${id}] reaches itself through types without a name`,
      this.context(id),
    );
  }

  /** The C name of named type `id`, with `___N` when an earlier different type took it. */
  private nameOf(id: number): string {
    let name = this.names[id];
    if (name === undefined) {
      const kind = this.r.kind(id);
      const offset = this.r.nameOffset(id);
      const count = kind === BtfKind.FWD ? 1 : this.claims[kind === BtfKind.TYPEDEF ? 'ident' : 'tag'].claim(offset);
      name = suffixed(this.r.name(id), count);
      this.names[id] = name;
    }
    return name;
  }

  /** The name of base type (INT or FLOAT) `id`: base types repeat in most declarations, so it is decoded once. */
  private baseName(id: number): string {
    let name = this.names[id];
    if (name === undefined) {
      name = this.r.name(id);
      this.names[id] = name;
    }
    return name;
  }

  /** Adds text (whole lines, each ended by a newline) to the output. */
  private write(text: string): void {
    this.pending += text;
  }

  /** The text written so far, or undefined below `atLeast` characters or when there is none. */
  private take(atLeast: number): string | undefined {
    const text = this.pending;
    if (text.length < atLeast || text.length === 0) return undefined;
    this.pending = '';
    return text;
  }

  private emitDefinition(id: number): void {
    if (this.has(id, State.Emitted)) return;
    const r = this.r;
    switch (r.kind(id)) {
      case BtfKind.STRUCT:
      case BtfKind.UNION:
        this.forwardDeclareReferences(id);
        this.write(`${this.compositeBody(id, 0)};\n\n`);
        break;
      case BtfKind.ENUM:
      case BtfKind.ENUM64:
        this.write(`${this.enumBody(id, 0)};\n\n`);
        break;
      case BtfKind.FWD:
        if (!this.has(id, State.Declared)) this.write(`${r.kindFlag(id) ? 'union' : 'struct'} ${this.nameOf(id)};\n\n`);
        break;
      case BtfKind.TYPEDEF:
        this.forwardDeclareReferences(id);
        this.write(`typedef ${this.declaration(r.sizeOrType(id), this.nameOf(id), 0)};\n\n`);
        break;
    }
    this.set(id, State.Emitted | State.Declared);
  }

  /** Declares `struct X;` for each named composite type `root` reaches through pointers before it exists. */
  private forwardDeclareReferences(root: number): void {
    const r = this.r;
    const words = r.words;
    const walk = ++this.walk;
    const marks = this.walkMarks;
    const stack: number[] = [root];
    for (let id = stack.pop(); id !== undefined; id = stack.pop()) {
      if (marks[id] === walk) continue;
      marks[id] = walk;
      const top = id === root;
      const kind = r.kind(id);
      switch (kind) {
        case BtfKind.STRUCT:
        case BtfKind.UNION: {
          if (r.named(id) && !top) {
            if (!this.has(id, State.Declared)) {
              this.write(`${kindNames[kind]} ${this.nameOf(id)};\n\n`);
              this.set(id, State.Declared);
            }
            break;
          }
          const first = r.entries(id);
          for (let w = first + 3 * (r.vlen(id) - 1); w >= first; w -= 3) {
            const member = words[w + 1] as number;
            if (marks[member] !== walk) stack.push(member);
          }
          break;
        }
        case BtfKind.TYPEDEF:
          if (top) stack.push(r.sizeOrType(id));
          break;
        case BtfKind.PTR:
        case BtfKind.ARRAY:
        case BtfKind.VOLATILE:
        case BtfKind.CONST:
        case BtfKind.RESTRICT:
        case BtfKind.TYPE_TAG: {
          const target = this.target(id, kind);
          if (marks[target] !== walk) stack.push(target);
          break;
        }
        case BtfKind.FUNC_PROTO: {
          const first = r.entries(id);
          for (let w = first + 2 * (r.vlen(id) - 1); w >= first; w -= 2) {
            const param = words[w + 1] as number;
            if (marks[param] !== walk) stack.push(param);
          }
          const returned = r.sizeOrType(id);
          if (marks[returned] !== walk) stack.push(returned);
          break;
        }
      }
    }
  }

  private compositeBody(id: number, depth: number): string {
    const r = this.r;
    const words = r.words;
    const indent = indentOf(depth + 1);
    const kind = r.kind(id);
    const isUnion = kind === BtfKind.UNION;
    const size = r.sizeOrType(id);
    const packed = !isUnion && this.needsPacking(id);
    const bitfields = r.kindFlag(id);
    // The member lines, each ended by a newline.
    let lines = '';
    let endBits = 0;
    const first = r.entries(id);
    const end = first + 3 * r.vlen(id);
    for (let w = first; w < end; w += 3) {
      const type = words[w + 1] as number;
      const bitOffset = memberBitOffset(words, w, bitfields);
      const bitfieldSize = memberBitfieldSize(words, w, bitfields);
      if (!isUnion) {
        // Where C would put the member; anything before its BTF offset is explicit padding.
        const align = bitfieldSize > 0 || packed ? 1 : this.alignment(type);
        const natural = bitfieldSize > 0 ? endBits : alignUp(endBits, align * 8);
        if (bitOffset > natural) lines += padding(indent, endBits, bitOffset);
      }
      const declaration = this.declaration(type, r.text(words[w] as number), depth + 1);
      lines += bitfieldSize > 0 ? `${indent}${declaration}: ${bitfieldSize};\n` : `${indent}${declaration};\n`;
      if (!isUnion) endBits = bitOffset + this.memberBits(type, bitfieldSize);
    }
    if (!isUnion) {
      const tail = alignUp(endBits, (packed ? 1 : this.naturalAlign(id)) * 8);
      if (tail < size * 8) lines += padding(indent, endBits, size * 8);
    }
    const name = r.named(id) ? ` ${this.nameOf(id)}` : '';
    const body = lines === '' ? '{}' : `{\n${lines}${indentOf(depth)}}`;
    return `${kindNames[kind]}${name} ${body}${packed ? ' __attribute__((packed))' : ''}`;
  }

  /** True when C's natural layout cannot reach the BTF offsets or size: a member sits below its alignment. */
  private needsPacking(id: number): boolean {
    const r = this.r;
    const words = r.words;
    const bitfields = r.kindFlag(id);
    let endBits = 0;
    const first = r.entries(id);
    const end = first + 3 * r.vlen(id);
    for (let w = first; w < end; w += 3) {
      const type = words[w + 1] as number;
      const bitOffset = memberBitOffset(words, w, bitfields);
      const bitfieldSize = memberBitfieldSize(words, w, bitfields);
      if (bitfieldSize === 0) {
        const align = this.alignment(type);
        if (bitOffset % (align * 8) !== 0 || bitOffset < alignUp(endBits, align * 8)) return true;
      }
      endBits = bitOffset + this.memberBits(type, bitfieldSize);
    }
    const size = r.sizeOrType(id);
    const natural = this.naturalAlign(id);
    return alignUp(endBits, natural * 8) > size * 8 || size % natural !== 0;
  }

  /** {@link alignOf} type `id`, worked out once. */
  private alignment(id: number): number {
    return alignOf(this.btf, id, this.alignments);
  }

  /** Bits a member of type `type` takes: its bitfield width, else its size (none for a forward declaration). */
  private memberBits(type: number, bitfieldSize: number): number {
    if (bitfieldSize > 0) return bitfieldSize;
    const known = this.bitsById[type] ?? 0;
    if (known > 0) return known - 1;
    const bits = this.r.kind(resolvedId(this.btf, type)) === BtfKind.FWD ? 0 : sizeOf(this.btf, type) * 8;
    this.bitsById[type] = bits + 1;
    return bits;
  }

  /** Alignment C gives struct `id` from its members alone (no packing). */
  private naturalAlign(id: number): number {
    const words = this.r.words;
    let align = 1;
    const first = this.r.entries(id);
    const end = first + 3 * this.r.vlen(id);
    for (let w = first; w < end; w += 3) align = Math.max(align, this.alignment(words[w + 1] as number));
    return align;
  }

  private enumBody(id: number, depth: number): string {
    const r = this.r;
    const words = r.words;
    const indent = indentOf(depth + 1);
    const wide = r.kind(id) === BtfKind.ENUM64;
    const stride = wide ? 3 : 2;
    const signed = r.kindFlag(id);
    const first = r.entries(id);
    const count = r.vlen(id);
    let claims = this.enumeratorClaims.get(id);
    if (claims === undefined) {
      claims = new Uint32Array(count);
      for (let i = 0; i < count; i++) claims[i] = this.claims.ident.claim(words[first + i * stride] as number);
      this.enumeratorClaims.set(id, claims);
    }
    // The enumerator lines, each ended by a newline.
    let values = '';
    for (let i = 0; i < count; i++) {
      const w = first + i * stride;
      const literal = wide
        ? enum64Literal(signed, words[w + 1] as number, words[w + 2] as number)
        : enumLiteral(signed, words[w + 1] as number);
      const name = suffixed(r.text(words[w] as number), claims[i] as number);
      values += `${indent}${name} = ${literal},\n`;
    }
    const name = r.named(id) ? ` ${this.nameOf(id)}` : '';
    const packed = r.sizeOrType(id) < 4 ? ' __attribute__((packed))' : '';
    return `enum${name} {\n${values}${indentOf(depth)}}${packed}`;
  }

  /**
   * `T inner`, built from the outside in: pointers, arrays, qualifiers and prototypes in a
   * loop (a chain longer than the type count is a cycle), anonymous types inline up to
   * {@link MAX_C_NESTING} levels.
   */
  declaration(id: number, inner: string, depth: number): string {
    if (this.nesting >= MAX_C_NESTING) this.tooDeep(id, `declarations nest deeper than ${MAX_C_NESTING} levels`);
    this.nesting++;
    try {
      return this.declarator(id, inner, depth);
    } finally {
      this.nesting--;
    }
  }

  private tooDeep(id: number, what: string): never {
    throw new BtfError('too-deep', `${what} at ${kindNames[this.r.kind(id)]} [${id}]`, this.context(id));
  }

  private declarator(id: number, inner: string, depth: number): string {
    const r = this.r;
    for (let steps = 0; ; steps++) {
      const kind = r.kind(id);
      if (steps > r.count) this.cycle(id);
      if (inner.length > MAX_DECLARATION_LENGTH) {
        throw new BtfError(
          'too-large',
          `the declaration of type [${id}] grows past ${MAX_DECLARATION_LENGTH} characters`,
          this.context(id),
        );
      }
      switch (kind) {
        case BtfKind.PTR: {
          const pointee = r.sizeOrType(id);
          const pointeeKind = r.kind(pointee);
          const needsParens = pointeeKind === BtfKind.ARRAY || pointeeKind === BtfKind.FUNC_PROTO;
          inner = needsParens ? `(*${inner})` : `*${inner}`;
          id = pointee;
          continue;
        }
        case BtfKind.ARRAY: {
          const at = r.entries(id);
          inner = `${inner}[${r.words[at + 2]}]`;
          id = r.words[at] as number;
          continue;
        }
        case BtfKind.FUNC_PROTO: {
          const count = r.vlen(id);
          let params = count === 0 ? 'void' : '';
          const first = r.entries(id);
          for (let i = 0; i < count; i++) {
            const type = r.words[first + 2 * i + 1] as number;
            const param = type === 0 ? '...' : this.declaration(type, '', depth);
            params = i === 0 ? param : `${params}, ${param}`;
          }
          inner = `${inner}(${params})`;
          id = r.sizeOrType(id);
          continue;
        }
        case BtfKind.VOLATILE:
        case BtfKind.CONST:
        case BtfKind.RESTRICT: {
          const keyword = kindNames[kind] as string;
          const repeated = inner === keyword || inner.startsWith(`${keyword} `);
          if (!repeated) inner = join(keyword, inner);
          id = r.sizeOrType(id);
          continue;
        }
        case BtfKind.TYPE_TAG:
          id = r.sizeOrType(id);
          continue;
        case BtfKind.VOID:
          return join('void', inner);
        case BtfKind.INT:
        case BtfKind.FLOAT:
          return join(this.baseName(id), inner);
        case BtfKind.TYPEDEF:
          return join(this.nameOf(id), inner);
        case BtfKind.STRUCT:
        case BtfKind.UNION:
        case BtfKind.ENUM:
        case BtfKind.ENUM64: {
          const tag = kind === BtfKind.STRUCT || kind === BtfKind.UNION ? (kindNames[kind] as string) : 'enum';
          return join(!r.named(id) ? this.inlineBody(id, kind, depth) : `${tag} ${this.nameOf(id)}`, inner);
        }
        case BtfKind.FWD:
          return join(`${r.kindFlag(id) ? 'union' : 'struct'} ${this.nameOf(id)}`, inner);
        default:
          return join(`/* ${kindNames[kind]} */ void`, inner);
      }
    }
  }

  /** The body of an anonymous type printed where it is used; one that contains itself is a cycle. */
  private inlineBody(id: number, kind: number, depth: number): string {
    if (this.inline.has(id)) this.cycle(id);
    this.inline.add(id);
    try {
      return kind === BtfKind.STRUCT || kind === BtfKind.UNION
        ? this.compositeBody(id, depth)
        : this.enumBody(id, depth);
    } finally {
      this.inline.delete(id);
    }
  }
}

/** `name` as claimed the `count`th time: itself the first time, then `name___2`, `name___3`… */
function suffixed(name: string, count: number): string {
  return count === 1 ? name : `${name}___${count}`;
}

function join(base: string, inner: string): string {
  return inner === '' ? base : `${base} ${inner}`;
}

function alignUp(bits: number, alignBits: number): number {
  return Math.ceil(bits / alignBits) * alignBits;
}

/** Most padding lines one gap may take (512 KB of padding): only a hostile size needs more. */
const MAX_PADDING_LINES = 1 << 16;

/** The lines of anonymous bitfields that fill `[from, to)` bits without raising the struct's alignment. */
function padding(indent: string, from: number, to: number): string {
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
  let lines = '';
  let at = from;
  while (at < to) {
    const roomInWord = 64 - (at % 64);
    const bits = Math.min(roomInWord, to - at);
    lines += `${indent}long: ${bits};\n`;
    at += bits;
  }
  return lines;
}

/** A 32-bit enumerator's C literal from its record word, read as signed for a signed enum. */
function enumLiteral(signed: boolean, raw: number): string {
  if (signed) return raw === 0x80000000 ? '(-2147483647 - 1)' : `${raw | 0}`;
  return raw > 0x7fffffff ? `${raw}U` : `${raw}`;
}

/** A 64-bit enumerator's C literal from its two record words. */
function enum64Literal(signed: boolean, low: number, high: number): string {
  const raw = (BigInt(high) << 32n) | BigInt(low);
  return signed ? `${BigInt.asIntN(64, raw)}LL` : `${raw}ULL`;
}
