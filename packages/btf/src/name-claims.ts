import { nameHash } from './name-index.js';
import type { BtfStrings } from './strings.js';

/** Slots the table starts with; it doubles whenever it is half full. */
const INITIAL_SLOTS = 1 << 10;

/**
 * How many times each name has been claimed in one C namespace, keyed by the name's bytes in
 * the string section (two offsets holding the same text are one name): an open-addressing
 * table in a typed array, so a dump of vmlinux claims its 30,000 names without decoding
 * them or keeping a string per name alive.
 */
export class NameClaims {
  /** Pairs of (string offset + 1, claims so far), 0 for an empty slot. */
  private slots = new Uint32Array(INITIAL_SLOTS * 2);
  private used = 0;

  constructor(private readonly strings: BtfStrings) {}

  /** Claims the name at string offset `offset`: 1 the first time, 2 the next, and so on. */
  claim(offset: number): number {
    if ((this.used + 1) * 2 > this.slots.length / 2) this.grow();
    const slot = this.find(this.slots, offset);
    const count = (this.slots[slot + 1] as number) + 1;
    if (count === 1) {
      this.slots[slot] = offset + 1;
      this.used++;
    }
    this.slots[slot + 1] = count;
    return count;
  }

  /** The slot holding the name at `offset` in `slots`, or the empty slot where it belongs. */
  private find(slots: Uint32Array, offset: number): number {
    const mask = slots.length / 2 - 1;
    const owner = this.strings.owner(offset);
    for (let index = nameHash(owner.bytes, offset - owner.start, false) & mask; ; index = (index + 1) & mask) {
      const key = slots[index * 2] as number;
      if (key === 0 || this.strings.same(key - 1, offset)) return index * 2;
    }
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Uint32Array(old.length * 2);
    for (let at = 0; at < old.length; at += 2) {
      const key = old[at] as number;
      if (key === 0) continue;
      const slot = this.find(this.slots, key - 1);
      this.slots[slot] = key;
      this.slots[slot + 1] = old[at + 1] as number;
    }
  }
}
