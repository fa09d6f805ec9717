import type { BtfStrings } from './strings.js';

const UNDERSCORE = 0x5f;
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * FNV-1a hash of the name at `at` (ending at a NUL or the end of `bytes`), read straight
 * from the bytes. With `cutFlavor`, only its essential part is hashed (the part before a
 * CO-RE flavor suffix, as {@link essentialName} cuts it): the suffix starts at the last run
 * of exactly three underscores that has another character on both sides, and the hash is
 * kept as it was before each run, so one pass suffices.
 */
export function nameHash(bytes: Uint8Array, at: number, cutFlavor: boolean): number {
  let hash = FNV_OFFSET;
  let beforeRun = hash;
  let essential = -1;
  let run = 0;
  let runStartsMidName = false;
  for (let i = at; ; i++) {
    const byte = bytes[i] ?? 0;
    if (byte === 0) break;
    if (byte === UNDERSCORE) {
      if (run === 0) {
        beforeRun = hash;
        runStartsMidName = i > at;
      }
      run++;
    } else {
      if (run === 3 && runStartsMidName) essential = beforeRun;
      run = 0;
    }
    hash = Math.imul(hash ^ byte, FNV_PRIME);
  }
  return (essential === -1 || !cutFlavor ? hash : essential) >>> 0;
}

/**
 * The name index of one BTF blob: types chained by the hash of their essential name, in
 * typed arrays (no string is decoded to build it). Serves exact lookups (the chain is
 * filtered by comparing bytes) and CO-RE candidate lookups (`task_struct` finds
 * `task_struct___v2` too). Built once, on demand.
 */
export class NameIndex {
  private readonly heads: Int32Array;
  private readonly next: Int32Array;
  private readonly mask: number;

  /** Indexes `count` types whose name offsets `nameOffsetOf(i)` gives, ids `firstId + i`. */
  constructor(
    strings: BtfStrings,
    private readonly firstId: number,
    count: number,
    nameOffsetOf: (index: number) => number,
  ) {
    let size = 16;
    while (size < count * 2) size *= 2;
    this.mask = size - 1;
    this.heads = new Int32Array(size);
    this.next = new Int32Array(count);
    // Insert from the last type so every chain lists ids in ascending order.
    for (let i = count - 1; i >= 0; i--) {
      const offset = nameOffsetOf(i);
      if (offset === 0) continue;
      const owner = strings.owner(offset);
      const local = offset - owner.start;
      if (owner.bytes[local] === 0) continue;
      const bucket = nameHash(owner.bytes, local, true) & this.mask;
      this.next[i] = this.heads[bucket] as number;
      this.heads[bucket] = i + 1;
    }
  }

  /** Ids that may be called `nameBytes`, ascending; callers compare names to drop collisions. */
  byName(nameBytes: Uint8Array): number[] {
    return this.chain(nameHash(nameBytes, 0, true));
  }

  /** Ids whose essential name may be `essentialBytes` (already cut), ascending; callers compare. */
  byEssentialName(essentialBytes: Uint8Array): number[] {
    return this.chain(nameHash(essentialBytes, 0, false));
  }

  private chain(hash: number): number[] {
    const ids: number[] = [];
    for (let entry = this.heads[hash & this.mask] as number; entry !== 0; ) {
      ids.push(this.firstId + entry - 1);
      entry = this.next[entry - 1] as number;
    }
    return ids;
  }
}
