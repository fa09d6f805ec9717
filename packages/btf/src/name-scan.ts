import type { BtfStrings } from './strings.js';

const UNDERSCORE = 0x5f;

/** Where one blob's type records and their kinds are, as a {@link scanForEssentialNames} reads them. */
export interface ScannedRecords {
  readonly strings: BtfStrings;
  /** The id of record 0. */
  readonly firstId: number;
  /** The type section as host-order words. */
  readonly words: Uint32Array;
  /** Word index of each record (a record's first word is its name's offset in `strings`). */
  readonly starts: Uint32Array;
  /** Kind number of each record. */
  readonly kinds: Uint8Array;
}

/**
 * For each of `wanted` (UTF-8 names, none empty or holding a NUL), the ids, ascending, of
 * the records of kind number `kind` (any kind when negative) whose names are that name
 * followed by the end or by an underscore: every type whose essential name it is, and
 * some others (`task_struct_a` for `task_struct`) that callers drop. One walk answers them
 * all, reading the first byte of each name and comparing further only where a wanted name
 * starts so: a lookup before any name index exists, or where one would cost more to build
 * than it saves (a few names looked up once in vmlinux's 10,700 structs).
 */
export function scanForEssentialNames(
  records: ScannedRecords,
  kind: number,
  wanted: readonly Uint8Array[],
): number[][] {
  const found = wanted.map((): number[] => []);
  // The wanted names chained by first byte: 1 + index of the first, then of the next one.
  const byFirstByte = new Int32Array(256);
  const nextWithFirstByte = new Int32Array(wanted.length);
  for (let i = wanted.length - 1; i >= 0; i--) {
    const first = (wanted[i] as Uint8Array)[0] as number;
    nextWithFirstByte[i] = byFirstByte[first] as number;
    byFirstByte[first] = i + 1;
  }
  const { strings, words, starts, kinds, firstId } = records;
  const ownStart = strings.start;
  const count = starts.length;
  // Records of one kind are stepped to with the kinds table's native indexOf.
  const any = kind < 0;
  for (let index = any ? 0 : kinds.indexOf(kind); index >= 0 && index < count; ) {
    const offset = words[starts[index] as number] as number;
    // A name of split BTF may be in its base's strings.
    const owner = offset < ownStart ? strings.owner(offset) : strings;
    const bytes = owner.bytes;
    const at = offset - (owner === strings ? ownStart : owner.start);
    // An empty name reads a NUL, which starts no wanted name.
    for (let next = byFirstByte[bytes[at] as number] as number; next !== 0; ) {
      const name = wanted[next - 1] as Uint8Array;
      const length = name.length;
      const after = bytes[at + length] ?? 0;
      if (after === 0 || after === UNDERSCORE) {
        let i = 1;
        while (i < length && bytes[at + i] === name[i]) i++;
        if (i === length) (found[next - 1] as number[]).push(firstId + index);
      }
      next = nextWithFirstByte[next - 1] as number;
    }
    index = any ? index + 1 : kinds.indexOf(kind, index + 1);
  }
  return found;
}
