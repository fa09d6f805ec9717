/** Words a stack starts with; it doubles when full and never shrinks. */
const INITIAL_WORDS = 1 << 12;

/**
 * A stack of unsigned 32-bit words in one typed array, reused across walks: the C dump's
 * depth-first walks push and pop millions of ids over vmlinux, and a plain array emptied
 * between walks (`length = 0`) gives up its storage and allocates it again on the next.
 */
export class WordStack {
  private words: Uint32Array;
  private top = 0;

  constructor() {
    // Stored twice: V8 then knows from the start that the field changes, instead of compiling
    // push and pop for the first array and throwing that code away when the stack grows.
    this.words = new Uint32Array(0);
    this.words = new Uint32Array(INITIAL_WORDS);
  }

  /** Words on the stack. */
  get length(): number {
    return this.top;
  }

  /** Pushes `word` (0 to 2^32 − 1). */
  push(word: number): void {
    if (this.top === this.words.length) {
      const grown = new Uint32Array(this.words.length * 2);
      grown.set(this.words);
      this.words = grown;
    }
    this.words[this.top++] = word;
  }

  /** Removes and returns the top word; the stack must not be empty. */
  pop(): number {
    return this.words[--this.top] as number;
  }

  /** The word at `index` from the bottom (below {@link length}). */
  at(index: number): number {
    return this.words[index] as number;
  }

  /** Drops every word above the first `length`. */
  truncate(length: number): void {
    this.top = Math.min(this.top, length);
  }
}
