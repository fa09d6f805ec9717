import type { BtfStrings } from './strings.js';

const UNDERSCORE = 0x5f;

/** Leading bytes of a name the index keys on. */
const PREFIX_BYTES = 4;

/** Bits of a bucket number: 65,536 buckets (vmlinux's type names start in some 20,000 ways). */
const BUCKET_BITS = 16;

/**
 * The bucket of the name at `bytes[at]`: a hash of its first {@link PREFIX_BYTES} bytes, or
 * of fewer when the name is shorter (a NUL, or the end of `bytes`, ends it).
 */
function bucketAt(bytes: Uint8Array, at: number): number {
  const b0 = bytes[at] ?? 0;
  const b1 = b0 === 0 ? 0 : (bytes[at + 1] ?? 0);
  const b2 = b1 === 0 ? 0 : (bytes[at + 2] ?? 0);
  const b3 = b2 === 0 ? 0 : (bytes[at + 3] ?? 0);
  return Math.imul(b0 | (b1 << 8) | (b2 << 16) | (b3 << 24), 0x9e3779b1) >>> (32 - BUCKET_BITS);
}

/**
 * The name index of one BTF blob's types, or of its types of one kind: types chained by the
 * first bytes of their names, in typed arrays. Building it reads four bytes of each name and
 * hashes nothing longer, so a fresh process indexes vmlinux's 126,000 types in a few
 * milliseconds, before V8 has optimized anything, and its 10,700 structs in a fraction of
 * that. A lookup walks one chain comparing bytes: exact names, and CO-RE candidates
 * (`task_struct` finds `task_struct___v2`, whose name starts the same). Built once, on
 * demand.
 */
export class NameIndex {
  private readonly heads = new Int32Array(1 << BUCKET_BITS);
  private readonly next: Int32Array;

  /**
   * Indexes the types whose records start at `starts[i]` in `words` (a record's first word is
   * its name's offset in `strings`), ids `firstId + i`: every `i` in `members` (ascending),
   * or every record when `members` is undefined.
   */
  constructor(
    private readonly strings: BtfStrings,
    private readonly firstId: number,
    private readonly words: Uint32Array,
    private readonly starts: Uint32Array,
    private readonly members?: readonly number[],
  ) {
    const count = members === undefined ? starts.length : members.length;
    this.next = new Int32Array(count);
    const ownStart = strings.start;
    // Insert from the last type so every chain lists ids in ascending order.
    for (let entry = count; entry > 0; entry--) {
      const record = members === undefined ? entry - 1 : (members[entry - 1] as number);
      const offset = words[starts[record] as number] as number;
      if (offset === 0) continue;
      // A name of split BTF may be in its base's strings.
      const owner = offset < ownStart ? strings.owner(offset) : strings;
      const bytes = owner.bytes;
      const at = offset - (owner === strings ? ownStart : owner.start);
      if ((bytes[at] ?? 0) === 0) continue;
      const bucket = bucketAt(bytes, at);
      this.next[entry - 1] = this.heads[bucket] as number;
      this.heads[bucket] = entry;
    }
  }

  /** Ids of the types named `name` exactly, ascending. */
  byName(name: Uint8Array): number[] {
    return this.startingWith(bucketAt(name, 0), name, false);
  }

  /**
   * Ids, ascending, of the types whose names start with `essential` followed by the end or
   * an underscore: every type whose essential name is `essential` (callers drop the others,
   * such as `task_struct_a` for `task_struct`).
   */
  byEssentialName(essential: Uint8Array): number[] {
    const bucket = bucketAt(essential, 0);
    const ids = this.startingWith(bucket, essential, true);
    if (essential.length >= PREFIX_BYTES) return ids;
    // A flavor of a short name (`rq___old`) has underscores among its first bytes: another chain.
    const flavored = new Uint8Array(PREFIX_BYTES).fill(UNDERSCORE);
    flavored.set(essential);
    const other = bucketAt(flavored, 0);
    if (other === bucket) return ids;
    return [...ids, ...this.startingWith(other, essential, true)].sort((a, b) => a - b);
  }

  /**
   * Ids in chain `bucket` whose names are `wanted` followed by the end, or (with
   * `orUnderscore`) by an underscore.
   */
  private startingWith(bucket: number, wanted: Uint8Array, orUnderscore: boolean): number[] {
    const ids: number[] = [];
    // No name in a string section holds a NUL (one would match across two strings), and no
    // indexed name is empty.
    if (wanted.length === 0 || wanted.includes(0)) return ids;
    const strings = this.strings;
    const members = this.members;
    const ownStart = strings.start;
    const length = wanted.length;
    const lastByte = wanted[length - 1];
    for (let entry = this.heads[bucket] as number; entry !== 0; entry = this.next[entry - 1] as number) {
      const record = members === undefined ? entry - 1 : (members[entry - 1] as number);
      const offset = this.words[this.starts[record] as number] as number;
      // A name of split BTF may be in its base's strings.
      const owner = offset < ownStart ? strings.owner(offset) : strings;
      const bytes = owner.bytes;
      const at = offset - (owner === strings ? ownStart : owner.start);
      // A chain's names share their first bytes (1,700 of vmlinux's structs start `trac`):
      // the byte after the wanted length and the last wanted byte turn most of them away
      // before the whole comparison.
      const after = bytes[at + length] ?? 0;
      if (after !== 0 && !(orUnderscore && after === UNDERSCORE)) continue;
      if (bytes[at + length - 1] !== lastByte) continue;
      let i = 0;
      while (i < length && bytes[at + i] === wanted[i]) i++;
      if (i === length) ids.push(this.firstId + record);
    }
    return ids;
  }
}
