import type { BtfStrings } from './strings.js';

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a hash of the name at `bytes[at]` (ending at a NUL or the end of `bytes`). */
function nameHash(bytes: Uint8Array, at: number): number {
  let hash = FNV_OFFSET;
  for (let i = at; ; i++) {
    const byte = bytes[i] ?? 0;
    if (byte === 0) break;
    hash = Math.imul(hash ^ byte, FNV_PRIME);
  }
  return hash >>> 0;
}

/** Fewest slots a table starts with; it doubles whenever it is half full. */
const MIN_SLOTS = 1 << 10;

/** Words per slot: string offset + 1 (0 for an empty slot), claims so far, the name's hash. */
const SLOT_WORDS = 3;

/**
 * The bits of a name's hash a slot keeps: a small integer in every V8 build, so code that
 * has not been optimized yet reads and compares it without boxing a heap number.
 */
const HASH_BITS = 0x3fffffff;

/**
 * An empty table of `count` slots, every byte written once now. A large typed array starts
 * as pages the kernel has not mapped yet; a lookup that reads one first maps the shared zero
 * page, and the claim that then writes it faults again to copy it, flushing the page from
 * the other threads' TLBs (V8's compiler threads run beside the writer). Written through
 * at once, each page faults once, in order: 1,300 page faults fewer for vmlinux (issue #21).
 */
function emptySlots(count: number): Uint32Array {
  return new Uint32Array(count * SLOT_WORDS).fill(0);
}

/**
 * How many times each name has been claimed in one C namespace, keyed by the name's bytes in
 * the string section (two offsets holding the same text are one name): an open-addressing
 * table in a typed array, so a dump of vmlinux claims its 30,000 names without decoding
 * them or keeping a string per name alive. Each slot keeps its name's hash, so growing the
 * table and most mismatches read no name bytes.
 */
export class NameClaims {
  private slots: Uint32Array;
  private used = 0;

  /** `expected`: about how many names will be claimed; a table for that many need not grow. */
  constructor(
    private readonly strings: BtfStrings,
    expected = 0,
  ) {
    let slots = MIN_SLOTS;
    while (slots < expected * 2) slots *= 2;
    this.slots = emptySlots(slots);
  }

  /** Claims the name at string offset `offset`: 1 the first time, 2 the next, and so on. */
  claim(offset: number): number {
    if ((this.used + 1) * 2 > this.slots.length / SLOT_WORDS) this.grow();
    const owner = this.strings.owner(offset);
    const hash = nameHash(owner.bytes, offset - owner.start) & HASH_BITS;
    const slot = this.find(this.slots, offset, hash);
    const count = (this.slots[slot + 1] as number) + 1;
    if (count === 1) {
      this.slots[slot] = offset + 1;
      this.slots[slot + 2] = hash;
      this.used++;
    }
    this.slots[slot + 1] = count;
    return count;
  }

  /** The slot holding the name at `offset` (with `hash`) in `slots`, or the empty slot where it belongs. */
  private find(slots: Uint32Array, offset: number, hash: number): number {
    const mask = slots.length / SLOT_WORDS - 1;
    for (let index = hash & mask; ; index = (index + 1) & mask) {
      const slot = index * SLOT_WORDS;
      const key = slots[slot] as number;
      if (key === 0) return slot;
      if (slots[slot + 2] === hash && this.strings.same(key - 1, offset)) return slot;
    }
  }

  /** Doubles the table, placing each name by the hash its slot keeps. */
  private grow(): void {
    const old = this.slots;
    const slots = emptySlots((old.length / SLOT_WORDS) * 2);
    const mask = slots.length / SLOT_WORDS - 1;
    for (let at = 0; at < old.length; at += SLOT_WORDS) {
      const key = old[at] as number;
      if (key === 0) continue;
      const hash = old[at + 2] as number;
      let index = hash & mask;
      while (slots[index * SLOT_WORDS] !== 0) index = (index + 1) & mask;
      const slot = index * SLOT_WORDS;
      slots[slot] = key;
      slots[slot + 1] = old[at + 1] as number;
      slots[slot + 2] = hash;
    }
    this.slots = slots;
  }
}
