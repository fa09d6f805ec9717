import { decodeUtf8 } from '@bpfkit/elf';
import { ByteOutput } from './byte-output.js';
import { BtfError } from './errors.js';
import { BtfKind, kindNames } from './kinds.js';
import { type AlignmentCache, alignOf, resolvedId, sizeOf } from './layout.js';
import { NameClaims } from './name-claims.js';
import type { Btf } from './spec.js';
import type { TypeRecords } from './type-records.js';
import { encodeUtf8 } from './utf8.js';
import { WordStack } from './word-stack.js';

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

/**
 * Typedefs that name compiler builtins and must not be redefined. Each starts with `_`, which
 * the writer tests first (isBuiltinTypedef).
 */
const builtinTypedefs = ['__builtin_va_list', '__gnuc_va_list'].map(encodeUtf8);

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

/**
 * True for kinds that ordering only marks (base types, functions, variables, sections, tags):
 * nothing reaches through them, so a pass over every type skips them.
 */
function placesNothing(kind: number): boolean {
  return (
    kind === BtfKind.INT ||
    kind === BtfKind.FUNC ||
    kind === BtfKind.VAR ||
    kind === BtfKind.DATASEC ||
    kind === BtfKind.FLOAT ||
    kind === BtfKind.DECL_TAG
  );
}

/**
 * A step packed in one word (id, op, through-pointer flag), so ordering vmlinux allocates no
 * step objects. Ids fit: a record takes at least 12 bytes, so no blob holds 2^29 types.
 */
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
  /** Ordering it again by value would add nothing (a walk need not visit it). */
  SettledByValue = 8,
  /** Ordering it again through a pointer would add nothing. */
  SettledThroughPointer = 16,
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
  const [header] = formatCBytes(btf, options, Number.POSITIVE_INFINITY);
  return decodeUtf8(header as Uint8Array);
}

/**
 * {@link formatC}'s header as UTF-8 bytes, in pieces of at least `chunk` bytes (the last may
 * be shorter), made as they are written out: names are copied from the string section as
 * they are, and vmlinux's 2.8 MB need not sit in memory at once. Each piece is the caller's.
 */
export function formatCBytes(btf: Btf, options: FormatCOptions = {}, chunk = 1 << 16): Generator<Uint8Array> {
  return new CWriter(btf).header(options, chunk);
}

/**
 * A C declaration of `name` with type `id` (`int (*name)[4]`, `struct foo *name`), using the
 * names {@link formatC} would give; anonymous types are written inline.
 */
export function formatCDeclaration(btf: Btf, id: number, name = ''): string {
  const writer = new CWriter(btf);
  const bytes = encodeUtf8(name);
  writer.declaration(id, bytes, 0, bytes.length, 1, 0);
  return writer.text();
}

/** ASCII codes the writer uses. */
const TAB = 0x09;
const SPACE = 0x20;

/**
 * What a pointer or qualifier puts in front of the name in a declarator (`*`, `(*`,
 * `const `), decided while walking to the base type; arrays and prototypes put nothing.
 */
enum Prefix {
  None = 0,
  Star = 1,
  /** A pointer to an array or a prototype: `(*` here, `)` after the name. */
  ParenStar = 2,
  /** A qualifier's keyword with nothing after it (the declarator is otherwise empty). */
  Keyword = 3,
  /** A qualifier's keyword and a space. */
  KeywordSpace = 4,
}

/** What a declarator built so far starts with, as far as a qualifier's repeat check needs. */
enum Lead {
  /** The name, perhaps followed by `[N]` or `(…)`. */
  Name = -1,
  /** `*` or `(*`. */
  Other = -2,
  // Otherwise the kind number of the qualifier whose keyword leads.
}

const noBytes = new Uint8Array(0);

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
  /** The alignment of each type by id, 0 until worked out: read directly where a call would cost. */
  readonly bytes: Uint8Array;

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
  /** The claim count ({@link NameClaims.claim}) of each named type's C name, by type id; 0 until claimed. */
  private readonly nameCounts: Uint32Array;
  /** The claim counts ({@link NameClaims.claim}) of each enum's enumerators, by enum id, once printed. */
  private readonly enumeratorClaims = new Map<number, Uint32Array>();
  /** Names claimed in C's tag namespace (struct, union, enum) and its ordinary one (typedefs, enumerators). */
  private readonly claims: { readonly tag: NameClaims; readonly ident: NameClaims };
  /** The header written and not yet handed out. */
  private readonly out = new ByteOutput();
  /**
   * The declarators being written, one inside the other: pairs of (type id, {@link Prefix})
   * from the declared name's type inward, so chains of any depth need no call stack.
   */
  private readonly chain = new WordStack();
  /** The pending steps of an ordering or forward-declaration walk (each starts it afresh), kept for reuse. */
  private readonly stack = new WordStack();
  /**
   * The text around the name of declarations already written once, by type id, for the
   * common case ({@link declarator} says which): `cachedHead[id]` is 1 + where the text
   * before the name starts in {@link cachedTexts} (0: none), `cachedSplit[id]` where the
   * text after the name starts and `cachedEnd[id]` where it ends.
   */
  private readonly cachedHead: Uint32Array;
  private readonly cachedSplit: Uint32Array;
  private readonly cachedEnd: Uint32Array;
  private readonly cachedTexts = new ByteOutput();
  /** 1 for each type a forward-declaration walk has been through ({@link forwardDeclareReferences}). */
  private readonly walked: Uint8Array;

  constructor(private readonly btf: Btf) {
    this.r = btf.records();
    this.state = new Uint8Array(btf.typeCount);
    this.walked = new Uint8Array(btf.typeCount);
    this.alignments = new AlignmentsById(btf.typeCount);
    this.bitsById = new Float64Array(btf.typeCount);
    this.nameCounts = new Uint32Array(btf.typeCount);
    this.cachedHead = new Uint32Array(btf.typeCount);
    this.cachedSplit = new Uint32Array(btf.typeCount);
    this.cachedEnd = new Uint32Array(btf.typeCount);
    // Sized for about one name per four types: vmlinux's 126,611 types have some 11,000 tag
    // names and 22,000 ordinary ones (typedefs, enumerators), so neither table grows, and each
    // takes 768 KB (at one per two, 1.5 MB each spread the claims over twice the pages).
    const expected = btf.typeCount >>> 2;
    this.claims = { tag: new NameClaims(btf.strings, expected), ident: new NameClaims(btf.strings, expected) };
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

  /** What has been written and not handed out, as text. */
  text(): string {
    return decodeUtf8(this.out.take(0) ?? noBytes);
  }

  /** The header in pieces of at least `chunk` bytes (the last may be shorter). */
  *header(options: FormatCOptions, chunk: number): Generator<Uint8Array> {
    const out = this.out;
    const guard = options.guard ?? '__VMLINUX_H__';
    const variables = (options.variables ?? []).map((id) => this.btf.type(id));
    if (options.roots !== undefined) {
      for (const id of options.roots) this.orderType(id, false);
    } else if (variables.length === 0) {
      this.orderEveryType();
    }
    for (const v of variables) if (v.kind === 'var') this.orderType(v.type, false);
    // clang warns about the pragma when no record follows it.
    const hasRecord = this.order.some((id) => {
      const kind = this.r.kind(id);
      return kind === BtfKind.STRUCT || kind === BtfKind.UNION;
    });
    const pragma = (options.preserveAccessIndex ?? true) && hasRecord;
    // Room for a piece and the definition that ends it, and for the kept declarations (about
    // 4 bytes per type in vmlinux), so that writing seldom grows a buffer.
    if (Number.isFinite(chunk)) out.grow(2 * chunk);
    this.cachedTexts.grow(8 * this.r.count);
    out.text(`#ifndef ${guard}\n#define ${guard}\n\n`);
    if (pragma) {
      out.text(
        '#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n' +
          '#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n' +
          '#endif\n\n',
      );
    }
    for (let next = 0; next < this.order.length; ) {
      next = this.emitDefinitions(next, chunk);
      const piece = out.take(chunk);
      if (piece !== undefined) yield piece;
    }
    for (const v of variables) {
      if (v.kind !== 'var') continue;
      this.forwardDeclareReferences(v.type);
      this.namedDeclaration(v.type, this.r.nameOffset(v.id), 0);
      out.text(';\n\n');
    }
    if (pragma) out.text('#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute pop\n#endif\n\n');
    out.text(`#endif /* ${guard} */\n`);
    yield out.take(0) as Uint8Array;
  }

  /**
   * Orders every type that places something. A loop of its own, outside the generator
   * {@link header}: V8 optimizes it on its own while it runs, and the generator's rare paths
   * (a piece handed out, the end) never throw that optimized code away.
   */
  private orderEveryType(): void {
    const r = this.r;
    const state = this.state;
    for (let id = 1; id < r.count; id++) {
      // A settled type has been visited, so its record has been read (and checked) already.
      if (((state[id] as number) & State.SettledByValue) !== 0) continue;
      const kind = r.kind(id);
      if (!placesNothing(kind) && !this.settleAtOnce(id, kind)) this.orderType(id, false);
    }
  }

  /**
   * Settles by value a pointer, array, qualifier or prototype that every type it leads to is
   * settled for already, and returns true; false for any other. Most of vmlinux's prototypes
   * and pointers are such by the time the pass over every type reaches them: ordering one
   * would push no visit and place nothing, only mark it settled, as this does without a walk.
   */
  private settleAtOnce(id: number, kind: number): boolean {
    const r = this.r;
    const state = this.state;
    if (kind === BtfKind.FUNC_PROTO) {
      if (((state[r.sizeOrType(id)] ?? 0) & State.SettledByValue) === 0) return false;
      const words = r.words;
      const first = r.entries(id);
      const end = first + 2 * r.vlen(id);
      for (let w = first; w < end; w += 2) {
        if (((state[words[w + 1] as number] ?? 0) & State.SettledByValue) === 0) return false;
      }
    } else if (kind === BtfKind.PTR) {
      if (((state[r.sizeOrType(id)] ?? 0) & State.SettledThroughPointer) === 0) return false;
    } else if (
      kind === BtfKind.ARRAY ||
      kind === BtfKind.CONST ||
      kind === BtfKind.VOLATILE ||
      kind === BtfKind.RESTRICT ||
      kind === BtfKind.TYPE_TAG
    ) {
      if (((state[this.target(id, kind)] ?? 0) & State.SettledByValue) === 0) return false;
    } else {
      return false;
    }
    state[id] = (state[id] as number) | State.SettledByValue;
    return true;
  }

  /**
   * Emits the definitions of {@link order} from index `from` on until at least `chunk` bytes
   * wait to be handed out; returns the index of the next one. A loop outside the generator,
   * as {@link orderEveryType} is.
   */
  private emitDefinitions(from: number, chunk: number): number {
    const order = this.order;
    let next = from;
    while (next < order.length && this.out.length < chunk) this.emitDefinition(order[next++] as number);
    return next;
  }

  /**
   * Depth-first ordering: a named type comes after everything it needs by value. Iterative,
   * so chains of any depth are ordered; a cycle that no name breaks is refused.
   */
  private orderType(root: number, rootThroughPointer: boolean): void {
    // An id that does not exist is refused here, before it is packed into a step.
    this.r.kind(root);
    const stack = this.stack;
    stack.truncate(0);
    stack.push(step(Op.Visit, root, rootThroughPointer));
    while (stack.length > 0) {
      const next = stack.pop();
      const id = next >>> 3;
      const throughPointer = (next & 1) === 1;
      switch (((next & 7) >> 1) as Op) {
        case Op.Finish:
          this.clear(id, State.Ordering);
          if (this.r.named(id)) this.order.push(id);
          this.set(id, State.Ordered | State.SettledByValue | State.SettledThroughPointer);
          break;
        case Op.Place:
          this.order.push(id);
          break;
        case Op.Leave:
          this.clear(id, State.OnChainPath);
          this.set(id, throughPointer ? State.SettledThroughPointer : State.SettledByValue);
          break;
        case Op.Visit:
          this.visit(id, throughPointer, stack);
          break;
      }
    }
  }

  /** Orders `id` now or pushes the steps that will (children last, so they run first). */
  private visit(id: number, throughPointer: boolean, stack: WordStack): void {
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
        if (throughPointer && r.named(id)) {
          this.set(id, State.SettledThroughPointer);
          return;
        }
        if (this.has(id, State.Ordering)) return;
        this.set(id, State.Ordering);
        stack.push(step(Op.Finish, id, false));
        const words = r.words;
        const first = r.entries(id);
        for (let w = first + 3 * (r.vlen(id) - 1); w >= first; w -= 3) {
          this.pushVisit(stack, words[w + 1] as number, false);
        }
        return;
      }
      case BtfKind.ENUM:
      case BtfKind.ENUM64:
        // An anonymous enum no other type refers to declares constants only: print it on its own.
        if (r.named(id) || !this.isReferenced(id)) this.order.push(id);
        this.set(id, State.Ordered | State.SettledByValue | State.SettledThroughPointer);
        return;
      case BtfKind.FWD:
        if (r.named(id)) this.order.push(id);
        this.set(id, State.Ordered | State.SettledByValue | State.SettledThroughPointer);
        return;
      case BtfKind.PTR:
      case BtfKind.ARRAY:
      case BtfKind.VOLATILE:
      case BtfKind.CONST:
      case BtfKind.RESTRICT:
      case BtfKind.TYPE_TAG:
      case BtfKind.FUNC_PROTO: {
        if (this.has(id, throughPointer ? State.SettledThroughPointer : State.SettledByValue)) return;
        if (this.has(id, State.OnChainPath)) this.cycle(id);
        this.set(id, State.OnChainPath);
        stack.push(step(Op.Leave, id, throughPointer));
        if (kind === BtfKind.FUNC_PROTO) {
          const words = r.words;
          const first = r.entries(id);
          for (let w = first + 2 * (r.vlen(id) - 1); w >= first; w -= 2) {
            this.pushVisit(stack, words[w + 1] as number, throughPointer);
          }
          this.pushVisit(stack, r.sizeOrType(id), throughPointer);
        } else {
          this.pushVisit(stack, this.target(id, kind), throughPointer || kind === BtfKind.PTR);
        }
        return;
      }
      default:
        this.set(id, State.Ordered | State.SettledByValue | State.SettledThroughPointer);
    }
  }

  /**
   * Pushes a visit of `id` unless it is settled for the way it is reached: settled flags are
   * never cleared, so such a visit would find nothing to do whenever it ran.
   */
  private pushVisit(stack: WordStack, id: number, throughPointer: boolean): void {
    const settled = throughPointer ? State.SettledThroughPointer : State.SettledByValue;
    if (((this.state[id] as number) & settled) === 0) stack.push(step(Op.Visit, id, throughPointer));
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
  private orderTypedef(id: number, throughPointer: boolean, stack: WordStack): void {
    const r = this.r;
    const target = r.sizeOrType(id);
    // Once its target is ordered by value, a typedef used by value again needs nothing more.
    if (!throughPointer && !this.has(id, State.TypedefByValue)) {
      this.set(id, State.TypedefByValue | (this.has(id, State.Ordered) ? State.SettledByValue : 0));
      this.pushVisit(stack, target, false);
    }
    if (this.has(id, State.Ordered)) return;
    this.set(
      id,
      State.Ordered | State.SettledThroughPointer | (this.has(id, State.TypedefByValue) ? State.SettledByValue : 0),
    );
    const under = this.skipQualifiers(target);
    const underKind = r.kind(under);
    const namedTag =
      (underKind === BtfKind.STRUCT || underKind === BtfKind.UNION || underKind === BtfKind.FWD) && r.named(under);
    if (!this.isBuiltinTypedef(id)) stack.push(step(Op.Place, id, false));
    if (!namedTag) this.pushVisit(stack, target, throughPointer);
  }

  /** True when typedef `id` names a compiler builtin ({@link builtinTypedefs}); compares bytes, decodes nothing. */
  private isBuiltinTypedef(id: number): boolean {
    const offset = this.r.nameOffset(id);
    const owner = this.btf.strings.owner(offset);
    // Every builtin name starts with `_`: most typedefs are told apart by their first byte alone.
    if (owner.bytes[offset - owner.start] !== 0x5f) return false;
    for (const name of builtinTypedefs) if (this.btf.strings.equals(offset, name)) return true;
    return false;
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

  /** Claims the C name of named type `id` once: 1 for its first holder, `N` when it prints as `name___N`. */
  private claimName(id: number): number {
    let count = this.nameCounts[id] as number;
    if (count === 0) {
      const kind = this.r.kind(id);
      count =
        kind === BtfKind.FWD ? 1 : this.claims[kind === BtfKind.TYPEDEF ? 'ident' : 'tag'].claim(this.r.nameOffset(id));
      this.nameCounts[id] = count;
    }
    return count;
  }

  /** Writes the C name of named type `id`, with `___N` when an earlier different type took it. */
  private writeName(id: number): void {
    const count = this.claimName(id);
    this.writeString(this.r.nameOffset(id));
    this.writeClaimSuffix(count);
  }

  /** Writes the string at `offset` of the string section (a base's for split BTF) as its bytes. */
  private writeString(offset: number): void {
    if (offset === 0) return;
    const owner = this.btf.strings.owner(offset);
    this.out.cString(owner.bytes, offset - owner.start);
  }

  /** Writes `___N` for a name claimed the `count`th time (nothing the first time). */
  private writeClaimSuffix(count: number): void {
    if (count === 1) return;
    this.out.text('___');
    this.out.integer(count);
  }

  /** Writes `struct` or `union` (a forward declaration's kind flag says which). */
  private writeTag(kind: number, union: boolean): void {
    this.out.text(kind === BtfKind.UNION || (kind === BtfKind.FWD && union) ? 'union' : 'struct');
  }

  private emitDefinition(id: number): void {
    if (this.has(id, State.Emitted)) return;
    const r = this.r;
    const out = this.out;
    switch (r.kind(id)) {
      case BtfKind.STRUCT:
      case BtfKind.UNION:
        this.forwardDeclareReferences(id);
        this.compositeBody(id, 0);
        out.text(';\n\n');
        break;
      case BtfKind.ENUM:
      case BtfKind.ENUM64:
        this.enumBody(id, 0);
        out.text(';\n\n');
        break;
      case BtfKind.FWD:
        if (!this.has(id, State.Declared)) {
          this.writeTag(BtfKind.FWD, r.kindFlag(id));
          out.byte(SPACE);
          this.writeName(id);
          out.text(';\n\n');
        }
        break;
      case BtfKind.TYPEDEF: {
        this.forwardDeclareReferences(id);
        const count = this.claimName(id);
        const owner = this.btf.strings.owner(r.nameOffset(id));
        const start = r.nameOffset(id) - owner.start;
        out.text('typedef ');
        this.declaration(r.sizeOrType(id), owner.bytes, start, cStringEnd(owner.bytes, start), count, 0);
        out.text(';\n\n');
        break;
      }
    }
    this.set(id, State.Emitted | State.Declared);
  }

  /**
   * Declares `struct X;` for each named composite type `root` reaches through pointers before
   * it exists. A type one walk has been through is not gone through again by a later one
   * (other than as its root): whatever it leads to was declared then, and declarations stay.
   */
  private forwardDeclareReferences(root: number): void {
    const r = this.r;
    const words = r.words;
    const walked = this.walked;
    const stack = this.stack;
    stack.truncate(0);
    stack.push(root);
    for (let top = true; stack.length > 0; top = false) {
      const id = stack.pop();
      if (walked[id] === 1 && !top) continue;
      walked[id] = 1;
      const kind = r.kind(id);
      switch (kind) {
        case BtfKind.STRUCT:
        case BtfKind.UNION: {
          if (r.named(id) && !top) {
            if (!this.has(id, State.Declared)) {
              this.writeTag(kind, false);
              this.out.byte(SPACE);
              this.writeName(id);
              this.out.text(';\n\n');
              this.set(id, State.Declared);
            }
            break;
          }
          const first = r.entries(id);
          for (let w = first + 3 * (r.vlen(id) - 1); w >= first; w -= 3) {
            const member = words[w + 1] as number;
            if (walked[member] !== 1) stack.push(member);
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
          if (walked[target] !== 1) stack.push(target);
          break;
        }
        case BtfKind.FUNC_PROTO: {
          const first = r.entries(id);
          for (let w = first + 2 * (r.vlen(id) - 1); w >= first; w -= 2) {
            const param = words[w + 1] as number;
            if (walked[param] !== 1) stack.push(param);
          }
          const returned = r.sizeOrType(id);
          if (walked[returned] !== 1) stack.push(returned);
          break;
        }
      }
    }
  }

  /**
   * Writes a struct or union's definition, `struct name {…}` (`struct {…}` inline). A name not
   * claimed yet is claimed after the members, as they may claim names first (the head is then
   * written last and moved in front).
   */
  private compositeBody(id: number, depth: number): void {
    const r = this.r;
    const out = this.out;
    const words = r.words;
    const kind = r.kind(id);
    const isUnion = kind === BtfKind.UNION;
    const size = r.sizeOrType(id);
    // The alignment C would give the struct, 0 when it needs `packed` (1 for a union: never used).
    const natural = isUnion ? 1 : this.naturalAlignUnlessPacked(id);
    const packed = natural === 0;
    const bitfields = r.kindFlag(id);
    const named = r.named(id);
    const headLast = named && this.nameCounts[id] === 0;
    if (!headLast) this.compositeHead(kind, id, named);
    const linesStart = out.length;
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
        if (bitOffset > natural) this.padding(depth + 1, endBits, bitOffset);
      }
      out.repeat(TAB, depth + 1);
      this.namedDeclaration(type, words[w] as number, depth + 1);
      if (bitfieldSize > 0) {
        out.text(': ');
        out.integer(bitfieldSize);
      }
      out.text(';\n');
      if (!isUnion) endBits = bitOffset + this.memberBits(type, bitfieldSize);
    }
    if (!isUnion) {
      const tail = alignUp(endBits, (packed ? 1 : natural) * 8);
      if (tail < size * 8) this.padding(depth + 1, endBits, size * 8);
    }
    const linesEnd = out.length;
    const noLines = linesEnd === linesStart;
    if (headLast) {
      this.compositeHead(kind, id, named);
      if (!noLines) out.rotate(linesStart, linesEnd);
    }
    if (noLines) {
      // `{}`: the newline after the brace goes.
      out.drop(1);
      out.byte(0x7d);
    } else {
      out.repeat(TAB, depth);
      out.byte(0x7d);
    }
    if (packed) out.text(' __attribute__((packed))');
  }

  /** Writes `struct name {` and a newline. */
  private compositeHead(kind: number, id: number, named: boolean): void {
    this.writeTag(kind, false);
    this.out.byte(SPACE);
    if (named) {
      this.writeName(id);
      this.out.byte(SPACE);
    }
    this.out.text('{\n');
  }

  /**
   * The alignment C gives struct `id` from its members alone, or 0 when that natural layout
   * cannot reach the BTF offsets or size (a member sits below its alignment): it needs `packed`.
   * One pass over the members; a bitfield's alignment counts only once no member forced packing.
   */
  private naturalAlignUnlessPacked(id: number): number {
    const r = this.r;
    const words = r.words;
    const bitfields = r.kindFlag(id);
    let endBits = 0;
    let natural = 1;
    let hasBitfield = false;
    const first = r.entries(id);
    const end = first + 3 * r.vlen(id);
    for (let w = first; w < end; w += 3) {
      const type = words[w + 1] as number;
      const bitOffset = memberBitOffset(words, w, bitfields);
      const bitfieldSize = memberBitfieldSize(words, w, bitfields);
      if (bitfieldSize === 0) {
        const align = this.alignment(type);
        if (bitOffset % (align * 8) !== 0 || bitOffset < alignUp(endBits, align * 8)) return 0;
        if (align > natural) natural = align;
      } else {
        hasBitfield = true;
      }
      endBits = bitOffset + this.memberBits(type, bitfieldSize);
    }
    if (hasBitfield) {
      for (let w = first; w < end; w += 3) {
        if (memberBitfieldSize(words, w, bitfields) > 0)
          natural = Math.max(natural, this.alignment(words[w + 1] as number));
      }
    }
    const size = r.sizeOrType(id);
    return alignUp(endBits, natural * 8) > size * 8 || size % natural !== 0 ? 0 : natural;
  }

  /** {@link alignOf} type `id`, worked out once. */
  private alignment(id: number): number {
    const known = this.alignments.bytes[id] as number;
    return known !== 0 ? known : alignOf(this.btf, id, this.alignments);
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

  /** Writes an enum's definition, `enum name {…}` (`enum {…}` inline). */
  private enumBody(id: number, depth: number): void {
    const r = this.r;
    const out = this.out;
    const words = r.words;
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
    // The enum's own name is in the tag namespace, its enumerators in the ordinary one: either may be claimed first.
    out.text('enum ');
    if (r.named(id)) {
      this.writeName(id);
      out.byte(SPACE);
    }
    out.text('{\n');
    for (let i = 0; i < count; i++) {
      const w = first + i * stride;
      out.repeat(TAB, depth + 1);
      this.writeString(words[w] as number);
      this.writeClaimSuffix(claims[i] as number);
      out.text(' = ');
      this.enumeratorValue(wide, signed, words, w);
      out.text(',\n');
    }
    out.repeat(TAB, depth);
    out.byte(0x7d);
    if (r.sizeOrType(id) < 4) out.text(' __attribute__((packed))');
  }

  /**
   * Writes the C literal of the enumerator whose entry starts at word `w`, 64-bit when `wide`.
   * One call for both widths: V8 compiles enumBody before vmlinux's first ENUM64, and a call
   * of its own for them would throw that code away when one came (this small function is
   * compiled again instead).
   */
  private enumeratorValue(wide: boolean, signed: boolean, words: Uint32Array, w: number): void {
    if (wide) this.out.text(enum64Literal(signed, words[w + 1] as number, words[w + 2] as number));
    else this.enumLiteral(signed, words[w + 1] as number);
  }

  /** Writes a 32-bit enumerator's C literal from its record word, read as signed for a signed enum. */
  private enumLiteral(signed: boolean, raw: number): void {
    if (signed) {
      if (raw === 0x80000000) this.out.text('(-2147483647 - 1)');
      else this.out.integer(raw | 0);
      return;
    }
    this.out.integer(raw);
    if (raw > 0x7fffffff) this.out.byte(0x55 /* U */);
  }

  /** Writes the lines of anonymous bitfields that fill `[from, to)` bits without raising the struct's alignment. */
  private padding(depth: number, from: number, to: number): void {
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
    let at = from;
    while (at < to) {
      const roomInWord = 64 - (at % 64);
      const bits = Math.min(roomInWord, to - at);
      this.out.repeat(TAB, depth);
      this.out.text('long: ');
      this.out.integer(bits);
      this.out.text(';\n');
      at += bits;
    }
  }

  /**
   * Writes `T name`, the name being `nameBytes[nameStart, nameEnd)` with `___N` for a claim
   * count above 1; anonymous types are written inline up to {@link MAX_C_NESTING} levels.
   *
   * C reads a declarator from the name outwards: what the outermost type (the name's) adds
   * sits next to the name, the base type comes first. So the chain of pointers, arrays,
   * qualifiers and prototypes from the name's type to the base is walked first in a loop (a
   * chain longer than the type count is a cycle), deciding each step's {@link Prefix}; then
   * the base, the prefixes innermost first, the name, and the suffixes (`)`, `[N]`,
   * `(params)`) outermost first are written. A chain with a prototype writes its parameters
   * before the base, as they may claim names first, and moves the base in front afterwards.
   */
  declaration(
    id: number,
    nameBytes: Uint8Array,
    nameStart: number,
    nameEnd: number,
    nameCount: number,
    depth: number,
  ): void {
    if (this.nesting >= MAX_C_NESTING) this.tooDeep(id, `declarations nest deeper than ${MAX_C_NESTING} levels`);
    if (nameCount === 1 && nameEnd > nameStart && this.cachedHead[id] !== 0) {
      this.writeCached(id, nameBytes, nameStart, nameEnd);
      return;
    }
    const r = this.r;
    const out = this.out;
    const chain = this.chain;
    const first = chain.length;
    // The declarator so far is empty (no name, nothing added) and starts with this.
    let empty = nameEnd === nameStart;
    let lead: number = Lead.Name;
    let suffixed = false;
    let hasPrototype = false;
    // A qualifier's keyword was written or left out because of what the name is.
    let nameDecided = false;
    let base = id;
    for (let steps = 0; ; steps++) {
      const kind = r.kind(base);
      if (steps > r.count) this.cycle(base);
      let prefix = Prefix.None;
      let next: number;
      if (kind === BtfKind.PTR) {
        next = r.sizeOrType(base);
        const pointeeKind = r.kind(next);
        const parens = pointeeKind === BtfKind.ARRAY || pointeeKind === BtfKind.FUNC_PROTO;
        prefix = parens ? Prefix.ParenStar : Prefix.Star;
        suffixed ||= parens;
        lead = Lead.Other;
      } else if (kind === BtfKind.ARRAY) {
        next = r.words[r.entries(base)] as number;
        suffixed = true;
      } else if (kind === BtfKind.FUNC_PROTO) {
        next = r.sizeOrType(base);
        suffixed = true;
        hasPrototype = true;
      } else if (kind === BtfKind.VOLATILE || kind === BtfKind.CONST || kind === BtfKind.RESTRICT) {
        next = r.sizeOrType(base);
        // `const const x` is written once.
        nameDecided ||= lead === Lead.Name;
        const repeated =
          lead === kind || (lead === Lead.Name && this.nameRepeats(kind, suffixed, nameBytes, nameStart, nameEnd));
        if (repeated) {
          base = next;
          continue;
        }
        prefix = empty ? Prefix.Keyword : Prefix.KeywordSpace;
        lead = kind;
      } else if (kind === BtfKind.TYPE_TAG) {
        base = r.sizeOrType(base);
        continue;
      } else {
        break;
      }
      empty = false;
      chain.push(base);
      chain.push(prefix);
      base = next;
    }
    const start = out.length;
    this.nesting++;
    try {
      if (!hasPrototype) {
        this.writeBase(base, depth);
        if (!empty) out.byte(SPACE);
        this.writePrefixes(first);
        const nameAt = out.length;
        out.copy(nameBytes, nameStart, nameEnd);
        this.writeClaimSuffix(nameCount);
        const afterName = out.length;
        this.writeSuffixes(first, depth, start);
        // The same type around another plain name gives the same text: keep it, unless an
        // anonymous body (indented by depth) or the name itself shaped it.
        if (nameCount === 1 && nameEnd > nameStart && !nameDecided && !this.writesBody(base)) {
          this.cache(id, start, nameAt, afterName);
        }
      } else {
        this.writeSuffixes(first, depth, start);
        const middle = out.length;
        this.writeBase(base, depth);
        if (!empty) out.byte(SPACE);
        this.writePrefixes(first);
        out.copy(nameBytes, nameStart, nameEnd);
        this.writeClaimSuffix(nameCount);
        out.rotate(start, middle);
      }
      this.checkLength(start, id);
    } finally {
      chain.truncate(first);
      this.nesting--;
    }
  }

  private tooDeep(id: number, what: string): never {
    throw new BtfError('too-deep', `${what} at ${kindNames[this.r.kind(id)]} [${id}]`, this.context(id));
  }

  /** True when a declarator ending in type `base` writes its body (an anonymous struct, union or enum). */
  private writesBody(base: number): boolean {
    const kind = this.r.kind(base);
    const composite =
      kind === BtfKind.STRUCT || kind === BtfKind.UNION || kind === BtfKind.ENUM || kind === BtfKind.ENUM64;
    return composite && !this.r.named(base);
  }

  /** Keeps the text just written around the name of a declaration of `id` ({@link cachedHead}). */
  private cache(id: number, start: number, nameAt: number, afterName: number): void {
    if (this.cachedHead[id] !== 0) return;
    const texts = this.cachedTexts;
    this.cachedHead[id] = texts.length + 1;
    texts.copyFrom(this.out, start, nameAt);
    this.cachedSplit[id] = texts.length;
    texts.copyFrom(this.out, afterName, this.out.length);
    this.cachedEnd[id] = texts.length;
  }

  /**
   * Writes a declaration of `id` named `nameBytes[nameStart, nameEnd)` (up to its NUL when
   * `nameEnd` is -1) from the text {@link cachedHead} keeps for `id`, which must exist.
   */
  private writeCached(id: number, nameBytes: Uint8Array, nameStart: number, nameEnd: number): void {
    const head = this.cachedHead[id] as number;
    const split = this.cachedSplit[id] as number;
    const end = this.cachedEnd[id] as number;
    const out = this.out;
    const start = out.length;
    out.copyFrom(this.cachedTexts, head - 1, split);
    if (nameEnd < 0) out.cString(nameBytes, nameStart);
    else out.copy(nameBytes, nameStart, nameEnd);
    out.copyFrom(this.cachedTexts, split, end);
    // Only a name of about a megabyte gets here: the full path would refuse it the same way.
    this.checkLength(start, id);
  }

  /**
   * {@link declaration} of `id` named by the string at string offset `nameOffset`, claimed
   * once (a member, a variable): from the text kept for `id` when there is some, the name
   * copied up to its NUL without looking for it first.
   */
  private namedDeclaration(id: number, nameOffset: number, depth: number): void {
    const owner = this.btf.strings.owner(nameOffset);
    const bytes = owner.bytes;
    const start = nameOffset - owner.start;
    if (this.cachedHead[id] !== 0 && this.nesting < MAX_C_NESTING && (bytes[start] ?? 0) !== 0) {
      this.writeCached(id, bytes, start, -1);
    } else {
      this.declaration(id, bytes, start, cStringEnd(bytes, start), 1, depth);
    }
  }

  /**
   * True when a `kind` qualifier adds nothing before a declarator that is still the name
   * (and `suffixed`: something after it): the name is the keyword itself or starts with it
   * and a space, as only hostile BTF names do.
   */
  private nameRepeats(kind: number, suffixed: boolean, bytes: Uint8Array, start: number, end: number): boolean {
    const keyword = kindNames[kind] as string;
    const length = end - start;
    if (length < keyword.length) return false;
    for (let i = 0; i < keyword.length; i++) if (bytes[start + i] !== keyword.charCodeAt(i)) return false;
    return length === keyword.length ? !suffixed : bytes[start + keyword.length] === SPACE;
  }

  /** Refuses a declaration written from `start` on that has grown past {@link MAX_DECLARATION_LENGTH} bytes. */
  private checkLength(start: number, id: number): void {
    if (this.out.length - start <= MAX_DECLARATION_LENGTH) return;
    throw new BtfError(
      'too-large',
      `the declaration of type [${id}] grows past ${MAX_DECLARATION_LENGTH} characters`,
      this.context(id),
    );
  }

  /** Writes the prefixes of the chain from `first` on, innermost first. */
  private writePrefixes(first: number): void {
    const chain = this.chain;
    const out = this.out;
    for (let at = chain.length - 2; at >= first; at -= 2) {
      switch (chain.at(at + 1) as Prefix) {
        case Prefix.Star:
          out.byte(0x2a);
          break;
        case Prefix.ParenStar:
          out.text('(*');
          break;
        case Prefix.Keyword:
          out.text(kindNames[this.r.kind(chain.at(at))] as string);
          break;
        case Prefix.KeywordSpace:
          out.text(kindNames[this.r.kind(chain.at(at))] as string);
          out.byte(SPACE);
          break;
      }
    }
  }

  /** Writes the suffixes of the chain from `first` on, outermost first; parameters are whole declarations. */
  private writeSuffixes(first: number, depth: number, start: number): void {
    const r = this.r;
    const out = this.out;
    const chain = this.chain;
    // Nested declarations push past the end: this chain's end is fixed now.
    const end = chain.length;
    for (let at = first; at < end; at += 2) {
      const id = chain.at(at);
      const kind = r.kind(id);
      if (kind === BtfKind.PTR) {
        if (chain.at(at + 1) === Prefix.ParenStar) out.byte(0x29);
      } else if (kind === BtfKind.ARRAY) {
        out.byte(0x5b);
        out.integer(r.words[r.entries(id) + 2] as number);
        out.byte(0x5d);
      } else if (kind === BtfKind.FUNC_PROTO) {
        out.byte(0x28);
        const count = r.vlen(id);
        if (count === 0) out.text('void');
        const entries = r.entries(id);
        for (let i = 0; i < count; i++) {
          if (i > 0) out.text(', ');
          this.parameter(r.words[entries + 2 * i + 1] as number, depth);
          this.checkLength(start, id);
        }
        out.byte(0x29);
      }
    }
  }

  /**
   * Writes a prototype's parameter of type `type`: `...` for 0 (variadic), else its
   * declaration. One call for both: V8 compiles writeSuffixes before vmlinux's first variadic
   * prototype, and writing `...` there would throw that code away when one came (this small
   * function is compiled again instead).
   */
  private parameter(type: number, depth: number): void {
    if (type === 0) this.out.text('...');
    else this.declaration(type, noBytes, 0, 0, 1, depth);
  }

  /** Writes the type a declarator ends in: a base type, a name, or an anonymous type's body. */
  private writeBase(id: number, depth: number): void {
    const r = this.r;
    const out = this.out;
    const kind = r.kind(id);
    switch (kind) {
      case BtfKind.VOID:
        out.text('void');
        return;
      case BtfKind.INT:
      case BtfKind.FLOAT:
        this.writeString(r.nameOffset(id));
        return;
      case BtfKind.TYPEDEF:
        this.writeName(id);
        return;
      case BtfKind.STRUCT:
      case BtfKind.UNION:
      case BtfKind.ENUM:
      case BtfKind.ENUM64:
        if (!r.named(id)) {
          this.inlineBody(id, kind, depth);
          return;
        }
        if (kind === BtfKind.STRUCT || kind === BtfKind.UNION) this.writeTag(kind, false);
        else out.text('enum');
        out.byte(SPACE);
        this.writeName(id);
        return;
      case BtfKind.FWD:
        this.writeTag(kind, r.kindFlag(id));
        out.byte(SPACE);
        this.writeName(id);
        return;
      default:
        out.text(`/* ${kindNames[kind]} */ void`);
    }
  }

  /** Writes the body of an anonymous type where it is used; one that contains itself is a cycle. */
  private inlineBody(id: number, kind: number, depth: number): void {
    if (this.inline.has(id)) this.cycle(id);
    this.inline.add(id);
    try {
      if (kind === BtfKind.STRUCT || kind === BtfKind.UNION) this.compositeBody(id, depth);
      else this.enumBody(id, depth);
    } finally {
      this.inline.delete(id);
    }
  }
}

/** Index of the NUL that ends the string at `bytes[start]` (or the end of `bytes`). */
function cStringEnd(bytes: Uint8Array, start: number): number {
  const end = bytes.indexOf(0, start);
  return end < 0 ? bytes.length : end;
}

function alignUp(bits: number, alignBits: number): number {
  return Math.ceil(bits / alignBits) * alignBits;
}

/** Most padding lines one gap may take (512 KB of padding): only a hostile size needs more. */
const MAX_PADDING_LINES = 1 << 16;

/** A 64-bit enumerator's C literal from its two record words. */
function enum64Literal(signed: boolean, low: number, high: number): string {
  const raw = (BigInt(high) << 32n) | BigInt(low);
  return signed ? `${BigInt.asIntN(64, raw)}LL` : `${raw}ULL`;
}
