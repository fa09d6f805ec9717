import { decodeAllRecords, decodeRecord, type RecordSource } from './decode.js';
import { BtfError } from './errors.js';
import { type BtfHeader, readBtfHeader } from './header.js';
import { type BtfKindName, kindNames, kindNumber } from './kinds.js';
import { NameIndex } from './name-index.js';
import { scanForEssentialNames } from './name-scan.js';
import { essentialName } from './names.js';
import { markReferencedTypes } from './references.js';
import { scanTypes } from './scan.js';
import { BtfStrings } from './strings.js';
import { TypeRecords } from './type-records.js';
import type { BtfType } from './types.js';
import { encodeUtf8 } from './utf8.js';
import { typeSectionWords } from './words.js';

/** Options for {@link parseBtf}. */
export interface ParseBtfOptions {
  /** A name for the blob's origin (object or file), carried by every error. */
  readonly name?: string;
  /** For split BTF (kernel modules): the base it extends; ids and string offsets continue from it. */
  readonly base?: Btf;
  /**
   * True for BTF the kernel hands out (`/sys/kernel/btf/*`): the kernel checked every name
   * offset and type id when it loaded it, so decoding does not check them again (a full
   * decode of vmlinux takes half the time). Record kinds and extents are checked regardless.
   * Leave it unset for anything read from a file or an object.
   */
  readonly verified?: boolean;
}

const PAGE_BITS = 10;
/** Decoded types are cached in pages of this many, so a lookup in vmlinux allocates one page, not 126k slots. */
const PAGE = 1 << PAGE_BITS;

/** Blobs with fewer types than this are searched by scanning, without building a name index. */
const SCAN_ONLY_BELOW = 2048;

/** Names whose index lookups a blob remembers, per kind of lookup; later ones are looked up each time. */
const REMEMBERED_NAMES = 4096;

/**
 * Keeps `ids`, what the name index gave for `name`, in `known` (while it holds fewer than
 * {@link REMEMBERED_NAMES}), and returns them: a lookup walks every type whose name starts
 * as this one does, some 100 µs for vmlinux's 3,700 `trac…` names, and CO-RE asks for the
 * same names at every load of an object.
 */
function remember(known: Map<string, readonly number[]>, name: string, ids: readonly number[]): readonly number[] {
  if (known.size < REMEMBERED_NAMES) known.set(name, ids);
  return ids;
}

/** The kind number a name index or a scan takes for types of every kind. */
const ANY_KIND = -1;

/** The ids `known` keeps for lookups of kind number `kind`, made on first use. */
function knownFor(known: Map<number, Map<string, readonly number[]>>, kind: number): Map<string, readonly number[]> {
  let forKind = known.get(kind);
  if (forKind === undefined) {
    forKind = new Map();
    known.set(kind, forKind);
  }
  return forKind;
}

/**
 * Indexes (id − first id) of the records of kind number `kind`, ascending. The kinds table's
 * own `indexOf` steps from one to the next, so vmlinux's 10,700 structs are found without an
 * interpreted pass over its 126,000 types.
 */
function recordsOfKind(kinds: Uint8Array, kind: number): number[] {
  const found: number[] = [];
  for (let index = kinds.indexOf(kind); index >= 0; index = kinds.indexOf(kind, index + 1)) found.push(index);
  return found;
}

const voidType: BtfType = { id: 0, kind: 'void', name: '', nameOffset: 0 };

/**
 * Parsed BTF. Parsing scans the type section once, recording where each type starts in a
 * typed array; nothing else is read. A type becomes an object on first use (then cached):
 * a view whose fields are read from the record, names and member lists decoded on demand.
 * Name lookups go through an index of name hashes built once, on demand.
 */
export class Btf {
  /** The decoded header. */
  readonly header: BtfHeader;
  /** The blob this was parsed from (aliased, not copied). */
  readonly bytes: Uint8Array;
  /** Strings, including the base's for split BTF. */
  readonly strings: BtfStrings;
  /** The base BTF for split BTF. */
  readonly base: Btf | undefined;
  /** The origin given at parse time. */
  readonly name: string | undefined;
  /** The first id this blob defines: 1, or the base's type count for split BTF. */
  readonly firstId: number;
  /** True when parsed with {@link ParseBtfOptions.verified}: name offsets and type ids are the kernel's, not re-checked. */
  readonly verified: boolean;
  private readonly words: Uint32Array;
  /** Word index of each record in {@link words}, index = id − {@link firstId}. */
  private readonly starts: Uint32Array;
  /** Kind number of each record, index = id − {@link firstId}. */
  private readonly kinds: Uint8Array;
  /** Decoded types by index, in pages of {@link PAGE} allocated as they are touched. */
  private decoded: (BtfType | undefined)[][];
  /** Every type, once {@link decodeAll} has run (then the only cache). */
  private everyType: readonly BtfType[] | undefined;
  /** Name indexes of this blob's own types, by kind number ({@link ANY_KIND}: of every type), each built on first use. */
  private readonly nameIndexes = new Map<number, NameIndex>();
  private scannedOnce = false;
  /** Kind numbers whose essential names were looked up by a walk over the records once (the next miss builds the index). */
  private readonly essentialScans = new Set<number>();
  /**
   * Own ids found through the name indexes, by kind number as {@link nameIndexes}, then by
   * exact name and by essential name ({@link remember}).
   */
  private readonly exactIds = new Map<number, Map<string, readonly number[]>>();
  private readonly essentialIds = new Map<number, Map<string, readonly number[]>>();
  private typeRecords: TypeRecords | undefined;
  private readonly recordSource: RecordSource;

  /** @internal use {@link parseBtf} */
  constructor(bytes: Uint8Array, options: ParseBtfOptions = {}) {
    this.bytes = bytes;
    this.name = options.name;
    this.verified = options.verified === true;
    this.base = options.base;
    this.header = readBtfHeader(bytes, options.name);
    if (this.base !== undefined && this.base.littleEndian !== this.header.littleEndian) {
      throw new BtfError('bad-header', 'split BTF has a different byte order from its base', {
        ...(options.name === undefined ? {} : { object: options.name }),
        offset: 0,
        expected: this.base.littleEndian ? 'little-endian' : 'big-endian',
        actual: this.header.littleEndian ? 'little-endian' : 'big-endian',
      });
    }
    const start = this.header.headerLength;
    const stringStart = start + this.header.stringOffset;
    const stringEnd = stringStart + this.header.stringLength;
    this.strings = new BtfStrings(bytes.subarray(stringStart, stringEnd), this.base?.strings);
    const where = options.name === undefined ? {} : { object: options.name };
    if (this.base === undefined && this.header.stringLength > 0 && bytes[stringStart] !== 0) {
      throw new BtfError('bad-string', 'the string section must start with an empty string', {
        ...where,
        offset: stringStart,
      });
    }
    // With the last string terminated, every offset inside the section reads a whole string.
    if (this.header.stringLength > 0 && bytes[stringEnd - 1] !== 0) {
      throw new BtfError('bad-string', 'the string section must end with a NUL byte', {
        ...where,
        offset: stringEnd - 1,
        actual: bytes[stringEnd - 1] as number,
      });
    }
    this.firstId = this.base === undefined ? 1 : this.base.typeCount;
    const typeStart = start + this.header.typeOffset;
    this.words = typeSectionWords(bytes, typeStart, this.header.typeLength, this.header.littleEndian);
    const table = scanTypes(this.words, typeStart, this.header.typeLength, this.firstId, options.name);
    this.starts = table.starts;
    this.kinds = table.kinds;
    this.decoded = new Array(Math.ceil(this.starts.length / PAGE));
    this.recordSource = {
      words: this.words,
      typeStart,
      starts: this.starts,
      firstId: this.firstId,
      strings: this.strings,
      stringEnd: this.strings.end,
      typeCount: this.typeCount,
      verified: this.verified,
      object: this.name,
    };
  }

  /** True when the blob is little-endian. */
  get littleEndian(): boolean {
    return this.header.littleEndian;
  }

  /** One past the largest type id, counting `void` and any base types. */
  get typeCount(): number {
    return this.firstId + this.starts.length;
  }

  /** True when `id` names a type here or in the base (`void` included). */
  has(id: number): boolean {
    return Number.isInteger(id) && id >= 0 && id < this.typeCount;
  }

  /**
   * The type with `id`, decoded on first use.
   * @throws {@link BtfError} `bad-type-id` for an id that does not exist, or a decode error.
   */
  type(id: number): BtfType {
    if (id === 0) return voidType;
    if (id < this.firstId && this.base !== undefined) return this.base.type(id);
    const index = id - this.firstId;
    if (!Number.isInteger(id) || index < 0 || index >= this.starts.length) {
      throw new BtfError('bad-type-id', 'no type has this id', {
        ...this.where(),
        typeId: id,
        expected: `< ${this.typeCount}`,
        actual: id,
      });
    }
    if (this.everyType !== undefined) return this.everyType[index] as BtfType;
    const page = this.page(index);
    let type = page[index & (PAGE - 1)];
    if (type === undefined) {
      type = decodeRecord(this.recordSource, id, this.starts[index] as number, this.kinds[index] as number);
      page[index & (PAGE - 1)] = type;
    }
    return type;
  }

  /** The kind of type `id`, read without decoding it. */
  kindOf(id: number): BtfKindName {
    if (id === 0) return 'void';
    if (id < this.firstId && this.base !== undefined) return this.base.kindOf(id);
    const kind = this.kinds[id - this.firstId];
    if (kind === undefined) return this.type(id).kind;
    return kindNames[kind] as BtfKindName;
  }

  /** The name of type `id`, read without decoding the rest of it. */
  nameOf(id: number): string {
    return this.type(id).name;
  }

  /**
   * The first type called `name` (of `kind`, when given), searching the base first.
   * The first lookup compares raw bytes in one pass; the name index is built on the second.
   */
  byName(name: string, kind?: BtfKindName): BtfType | undefined {
    const id = this.idsByName(name, kind)[0];
    return id === undefined ? undefined : this.type(id);
  }

  /** Every type called `name` (of `kind`, when given), in id order, base first. */
  allByName(name: string, kind?: BtfKindName): BtfType[] {
    return this.idsByName(name, kind).map((id) => this.type(id));
  }

  /** Ids of every type called `name` (of `kind`, when given), base first. */
  idsByName(name: string, kind?: BtfKindName): number[] {
    const ids = [...(this.base?.idsByName(name, kind) ?? []), ...this.ownIdsByName(name, kind)];
    return kind === undefined ? ids : ids.filter((id) => this.kindOf(id) === kind);
  }

  /** Every type of this blob (not the base) in id order, optionally only those of `kind`. */
  *types(kind?: BtfKindName): IterableIterator<BtfType> {
    const wanted = kind === undefined ? -1 : kindNumber(kind);
    for (let index = 0; index < this.starts.length; index++) {
      if (wanted >= 0 && this.kinds[index] !== wanted) continue;
      yield this.type(this.firstId + index);
    }
  }

  /**
   * Every type of this blob decoded, index = id − {@link firstId}. The array is frozen and
   * becomes the cache: later calls return it again, lookups read from it.
   */
  decodeAll(): readonly BtfType[] {
    if (this.everyType !== undefined) return this.everyType;
    const all = decodeAllRecords(this.recordSource, this.kinds);
    // Types already handed out stay the same objects.
    this.decoded.forEach((page, number) => {
      page.forEach((type, slot) => {
        all[(number << PAGE_BITS) + slot] = type as BtfType;
      });
    });
    this.everyType = Object.freeze(all);
    this.decoded = [];
    return this.everyType;
  }

  /**
   * Flags by type id (1: named by another type of this blob as a member, parameter, target,
   * element or section entry; a prototype's return type does not count), the base's types
   * included for split BTF. Read from the records without decoding them.
   */
  referencedTypes(): Uint8Array {
    const marks = markReferencedTypes(this.recordSource, this.kinds);
    const inBase = this.base?.referencedTypes() ?? [];
    for (let id = 0; id < inBase.length; id++) marks[id] = (marks[id] as number) | (inBase[id] as number);
    return marks;
  }

  /**
   * Every type (the base's too) as typed arrays indexed by id, built once: for walks over
   * every type that would otherwise decode each one into objects.
   * @internal
   */
  records(): TypeRecords {
    this.typeRecords ??= new TypeRecords(
      this,
      { words: this.words, starts: this.starts, kinds: this.kinds },
      this.base?.records(),
    );
    return this.typeRecords;
  }

  /**
   * True when `type` is the object this blob decoded for `id` (and still caches), not an
   * edited copy; nothing is decoded to answer.
   * @internal for `reencode`
   */
  decodedAs(id: number, type: BtfType): boolean {
    const index = id - this.firstId;
    if (index < 0 || index >= this.starts.length) return false;
    const cached =
      this.everyType === undefined ? this.decoded[index >>> PAGE_BITS]?.[index & (PAGE - 1)] : this.everyType[index];
    return cached === type;
  }

  /**
   * The bytes of this blob's records for types `first` to `last` (its own types only, in id
   * order, so they lie end to end), in the blob's byte order.
   * @internal for `reencode`
   */
  recordSpan(first: number, last: number): Uint8Array {
    const from = first - this.firstId;
    const to = last - this.firstId + 1;
    const start = this.starts[from] as number;
    const end = to < this.starts.length ? (this.starts[to] as number) : this.words.length;
    const typeStart = this.recordSource.typeStart;
    return this.bytes.subarray(typeStart + start * 4, typeStart + end * 4);
  }

  /** The cache page holding index `index`, allocated on first use (the last one only as long as the types it holds). */
  private page(index: number): (BtfType | undefined)[] {
    let page = this.decoded[index >>> PAGE_BITS];
    if (page === undefined) {
      const first = index & ~(PAGE - 1);
      page = new Array(Math.min(PAGE, this.starts.length - first));
      this.decoded[index >>> PAGE_BITS] = page;
    }
    return page;
  }

  /**
   * Ids of every type whose essential name (without a `___flavor` suffix) is that of `name`:
   * the candidates CO-RE considers for a local type. Base first, in id order.
   */
  idsByEssentialName(name: string, kind?: BtfKindName): number[] {
    return this.idsByEssentialNames([name], kind)[0] as number[];
  }

  /**
   * {@link idsByEssentialName} of each of `names`, found together: the first lookup of a
   * kind in a large blob walks its records once for all the names (what one object's CO-RE
   * relocations ask vmlinux), later ones go through the name index, built then.
   */
  idsByEssentialNames(names: readonly string[], kind?: BtfKindName): number[][] {
    const keys = names.map(essentialName);
    const kindNumberOrAny = kind === undefined ? ANY_KIND : kindNumber(kind);
    const own = this.ownIdsByEssentialNames(keys, kindNumberOrAny);
    const inBase = this.base?.idsByEssentialNames(names, kind);
    return keys.map((_, i) => {
      const ids = [...(inBase?.[i] ?? []), ...(own[i] as readonly number[])];
      return kind === undefined ? ids : ids.filter((id) => this.kindOf(id) === kind);
    });
  }

  /** This blob's own ids for each essential name in `keys`, of kind number `kind`. */
  private ownIdsByEssentialNames(keys: readonly string[], kind: number): (readonly number[])[] {
    const known = knownFor(this.essentialIds, kind);
    const found = new Map<string, readonly number[]>();
    const missing: string[] = [];
    for (const key of keys) {
      const ids = known.get(key);
      if (ids !== undefined) found.set(key, ids);
      // No name in a string section holds a NUL (one would match across two strings).
      else if (key === '' || key.includes('\0')) found.set(key, []);
      else if (!found.has(key)) {
        found.set(key, []);
        missing.push(key);
      }
    }
    if (missing.length > 0) {
      const wanted = missing.map(encodeUtf8);
      const scan =
        !this.nameIndexes.has(kind) && (!this.essentialScans.has(kind) || this.starts.length < SCAN_ONLY_BELOW);
      let starting: number[][];
      if (scan) {
        this.essentialScans.add(kind);
        starting = scanForEssentialNames(
          { strings: this.strings, firstId: this.firstId, words: this.words, starts: this.starts, kinds: this.kinds },
          kind,
          wanted,
        );
      } else {
        const index = this.index(kind);
        starting = wanted.map((name) => index.byEssentialName(name));
      }
      missing.forEach((key, i) => {
        const ids = (starting[i] as number[]).filter((id) => essentialName(this.nameOf(id)) === key);
        found.set(key, remember(known, key, ids));
      });
    }
    return keys.map((key) => found.get(key) as readonly number[]);
  }

  private ownIdsByName(name: string, kind: BtfKindName | undefined): readonly number[] {
    const kindNumberOrAny = kind === undefined ? ANY_KIND : kindNumber(kind);
    const known = knownFor(this.exactIds, kindNumberOrAny);
    const ids = known.get(name);
    if (ids !== undefined) return ids;
    const wanted = encodeUtf8(name);
    // No name in a string section holds a NUL (one would match across two strings).
    if (wanted.length === 0 || wanted.includes(0)) return [];
    // An object's few hundred types scan faster than an index builds; vmlinux scans once.
    if (!this.nameIndexes.has(kindNumberOrAny) && (!this.scannedOnce || this.starts.length < SCAN_ONLY_BELOW)) {
      this.scannedOnce = true;
      return this.scanForName(wanted, kindNumberOrAny);
    }
    return remember(known, name, this.index(kindNumberOrAny).byName(wanted));
  }

  /** The name index of this blob's types of kind number `kind` ({@link ANY_KIND}: of every type), built on first use. */
  private index(kind: number): NameIndex {
    let index = this.nameIndexes.get(kind);
    if (index === undefined) {
      const members = kind === ANY_KIND ? undefined : recordsOfKind(this.kinds, kind);
      index = new NameIndex(this.strings, this.firstId, this.words, this.starts, members);
      this.nameIndexes.set(kind, index);
    }
    return index;
  }

  /**
   * One pass comparing each type's name bytes with `wanted`, for a lookup before the index
   * exists. With a kind (not {@link ANY_KIND}), only the records of that kind are read, found
   * in the compact kind table: the record and its name are cache misses away.
   */
  private scanForName(wanted: Uint8Array, kind: number): number[] {
    const ids: number[] = [];
    const words = this.words;
    const starts = this.starts;
    const own = this.strings.bytes;
    const ownStart = this.strings.start;
    const first = wanted[0];
    const kinds = this.kinds;
    // Of one kind, records are stepped through with the kinds table's native indexOf.
    const any = kind === ANY_KIND;
    for (
      let index = any ? 0 : kinds.indexOf(kind);
      index >= 0 && index < starts.length;
      index = any ? index + 1 : kinds.indexOf(kind, index + 1)
    ) {
      const offset = words[starts[index] as number] as number;
      if (offset === 0) continue;
      if (offset >= ownStart && own[offset - ownStart] !== first) continue;
      if (this.strings.equals(offset, wanted)) ids.push(this.firstId + index);
    }
    return ids;
  }

  private where(): { object?: string } {
    return this.name === undefined ? {} : { object: this.name };
  }
}

/**
 * Parses a raw BTF blob (the `.BTF` section of an object, or `/sys/kernel/btf/*`), in
 * either byte order.
 * @throws {@link BtfError} for a bad header or a type record that is unknown or truncated.
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { formatC, parseBtf, sizeOf } from '@bpfkit/btf';
 *
 * const kernel = parseBtf(new Uint8Array(readFileSync('/sys/kernel/btf/vmlinux')));
 * const task = kernel.byName('task_struct', 'struct');
 * console.log(sizeOf(kernel, task!.id), formatC(kernel, { roots: [task!.id] }).length);
 * ```
 */
export function parseBtf(bytes: Uint8Array, options: ParseBtfOptions = {}): Btf {
  return new Btf(bytes, options);
}
