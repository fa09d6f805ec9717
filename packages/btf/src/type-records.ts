import type { Btf } from './spec.js';

/** {@link TypeRecords}' mark of a record not checked yet (kind numbers end at 19). */
const UNCHECKED = 0xff;

/** One blob's own records, as the scan found them (index = id − first id). */
export interface OwnRecords {
  /** The type section as host-order words. */
  readonly words: Uint32Array;
  /** Word index of each record in {@link words}. */
  readonly starts: Uint32Array;
  /** Kind number of each record. */
  readonly kinds: Uint8Array;
}

/**
 * Every type of a blob and of its base, read straight from the records through typed arrays:
 * what a walk over all of vmlinux (the C and JSON dumps) uses instead of decoded type objects,
 * which would cost an object per type and per member. A blob without a base is read in place;
 * split BTF is joined to its base once.
 *
 * A record is checked (names, type ids, as {@link Btf.type} checks it) the first time its
 * kind is read, so a reader that starts each record with {@link kind} reads only checked
 * words; kernel BTF is taken as checked.
 */
export class TypeRecords {
  /** Every record's words: the base's first, then the blob's own. */
  readonly words: Uint32Array;
  /** One past the largest type id. */
  readonly count: number;
  /** Word index of each record in {@link words}, index = id − {@link shift}. */
  private readonly starts: Uint32Array;
  /** Kind number of each record, index = id − {@link shift}. */
  private readonly kinds: Uint8Array;
  /** The id of `starts[0]` and `kinds[0]`: 1 for a blob read in place, 0 for joined split BTF. */
  private readonly shift: number;
  /**
   * The kind of each type by id once its record is checked, {@link UNCHECKED} before (the
   * kernel's BTF is checked from the start): what {@link kind} answers from in one read.
   */
  private readonly checkedKinds: Uint8Array;
  /** True once the strings are decoded whole: a reader of names here reads most of them. */
  private stringsDecoded = false;

  /** @internal built by {@link Btf.records} */
  constructor(
    private readonly btf: Btf,
    own: OwnRecords,
    base: TypeRecords | undefined,
  ) {
    const firstId = btf.firstId;
    this.count = btf.typeCount;
    if (base === undefined) {
      this.words = own.words;
      this.starts = own.starts;
      this.kinds = own.kinds;
      this.shift = firstId;
    } else {
      this.shift = 0;
      this.words = new Uint32Array(base.words.length + own.words.length);
      this.words.set(base.words);
      this.words.set(own.words, base.words.length);
      this.starts = new Uint32Array(this.count);
      this.kinds = new Uint8Array(this.count);
      for (let id = 1; id < firstId; id++) {
        this.starts[id] = base.start(id);
        this.kinds[id] = base.kinds[id - base.shift] as number;
      }
      for (let index = 0; index < own.starts.length; index++) {
        this.starts[firstId + index] = (own.starts[index] as number) + base.words.length;
      }
      this.kinds.set(own.kinds, firstId);
    }
    this.checkedKinds = new Uint8Array(this.count).fill(UNCHECKED);
    this.checkedKinds[0] = 0;
    // The base's records as far as the base has checked them.
    if (base !== undefined) this.checkedKinds.set(base.checkedKinds.subarray(1, firstId), 1);
    if (btf.verified) this.checkedKinds.set(own.kinds, firstId);
  }

  /**
   * The kind number of type `id` (0 for `void`), its record checked first.
   * @throws {@link BtfError} `bad-type-id` for an id that does not exist, or the record's decode error.
   */
  kind(id: number): number {
    const kind = this.checkedKinds[id];
    return kind === undefined || kind === UNCHECKED ? this.checkRecord(id) : kind;
  }

  /** Checks the record of type `id` (refusing an id that does not exist) and returns its kind. */
  private checkRecord(id: number): number {
    this.btf.type(id);
    const kind = this.kinds[id - this.shift] as number;
    this.checkedKinds[id] = kind;
    return kind;
  }

  /** Word index of the record of type `id` in {@link words}. */
  start(id: number): number {
    return this.starts[id - this.shift] as number;
  }

  /** The name of type `id` (its kind read first), a new string on each call. */
  name(id: number): string {
    return id === 0 ? '' : this.text(this.words[this.start(id)] as number);
  }

  /** String offset of the name of type `id`. */
  nameOffset(id: number): number {
    return id === 0 ? 0 : (this.words[this.start(id)] as number);
  }

  /**
   * The string at `offset` in the string section, `''` for none. The first call decodes the
   * whole section (one decoder call for vmlinux's 2 MB when it is ASCII, as kernel BTF is):
   * each name is then a slice of it.
   */
  text(offset: number): string {
    if (offset === 0) return '';
    if (!this.stringsDecoded) {
      this.stringsDecoded = true;
      this.btf.strings.decodeWhole();
    }
    return this.btf.strings.tryAt(offset) ?? '';
  }

  /** True when type `id` has a name. */
  named(id: number): boolean {
    const offset = this.nameOffset(id);
    if (offset === 0) return false;
    const owner = this.btf.strings.owner(offset);
    return owner.bytes[offset - owner.start] !== 0;
  }

  /** `btf_type.info` of type `id`. */
  info(id: number): number {
    return this.words[this.start(id) + 1] as number;
  }

  /** Number of members, enumerators, parameters or section entries of type `id`. */
  vlen(id: number): number {
    return this.info(id) & 0xffff;
  }

  /** The kind flag of type `id` (bitfield encoding, signed enum, union forward declaration). */
  kindFlag(id: number): boolean {
    return this.info(id) >>> 31 === 1;
  }

  /** Word 2 of the record: the size of a sized type, the type a reference, function or variable names. */
  sizeOrType(id: number): number {
    return this.words[this.start(id) + 2] as number;
  }

  /** Word index of the first member, enumerator, parameter or section entry of type `id`. */
  entries(id: number): number {
    return this.start(id) + 3;
  }
}
