/**
 * A matcher for a glob pattern of the kind libbpf's multi-probe sections take: `*` matches
 * any run of characters, `?` any one character, everything else itself. Names without
 * wildcards, `prefix*` and `*suffix` are compared directly; other patterns compile to one
 * regular expression.
 */
export function globMatcher(pattern: string): (name: string) => boolean {
  const wildcards = pattern.match(/[*?]/g) ?? [];
  if (wildcards.length === 0) return (name) => name === pattern;
  if (wildcards.length === 1 && !pattern.includes('?')) {
    const [before, after] = pattern.split('*') as [string, string];
    if (after === '') return (name) => name.startsWith(before);
    if (before === '') return (name) => name.endsWith(after);
  }
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  // `s`: a wildcard matches line breaks too; `u`: `?` is one character, not one UTF-16 unit.
  const regex = new RegExp(`^${source}$`, 'su');
  return (name) => regex.test(name);
}

const STAR = 0x2a;
const QUESTION = 0x3f;
const AT = 0x40;

/**
 * A glob pattern compiled for names that stay bytes (a string table), matched as
 * {@link globMatcher} matches decoded names: `*` any run of characters, `?` one character
 * (one UTF-8 sequence), everything else its own bytes.
 */
export class ByteGlob {
  private readonly pattern: Uint8Array;
  /** How many bytes lead the pattern before its first wildcard: compared first, in a tight loop. */
  private readonly literalHead: number;
  /** True when the pattern is its head and one final `*`: a name that starts with the head matches. */
  private readonly headOnly: boolean;

  constructor(pattern: string) {
    this.pattern = new TextEncoder().encode(pattern);
    const wildcard = this.pattern.findIndex((byte) => byte === STAR || byte === QUESTION);
    this.literalHead = wildcard < 0 ? this.pattern.length : wildcard;
    this.headOnly = wildcard === this.pattern.length - 1 && this.pattern[wildcard] === STAR;
  }

  /**
   * True when the bare name starting at `start` in `names` matches: the bytes up to the
   * first NUL or `@` (`malloc` of `malloc@@GLIBC_2.2.5`), or to the end of `names`.
   */
  matchesBareName(names: Uint8Array, start: number): boolean {
    const pattern = this.pattern;
    const head = this.literalHead;
    if (start + head > names.length) return false;
    for (let i = 0; i < head; i++) {
      const byte = names[start + i] as number;
      // A NUL or `@` in the pattern never matches: the name ends there.
      if (byte !== pattern[i] || byte === 0 || byte === AT) return false;
    }
    if (this.headOnly) return true;
    let p = head;
    let n = start + head;
    // Where the last `*` was seen and how much of the name it has taken so far, to backtrack to.
    let afterStar = -1;
    let starEnd = 0;
    for (;;) {
      const byte = n < names.length ? (names[n] as number) : 0;
      const atEnd = byte === 0 || byte === AT;
      if (p < pattern.length) {
        const want = pattern[p] as number;
        if (want === STAR) {
          p++;
          if (p === pattern.length) return true;
          afterStar = p;
          starEnd = n;
          continue;
        }
        if (!atEnd && (want === QUESTION || want === byte)) {
          p++;
          n += want === QUESTION ? sequenceLength(names, n) : 1;
          continue;
        }
      } else if (atEnd) {
        return true;
      }
      // A mismatch: the last `*` takes one more character, or nothing matches.
      if (afterStar < 0) return false;
      const taken = starEnd < names.length ? (names[starEnd] as number) : 0;
      if (taken === 0 || taken === AT) return false;
      starEnd += sequenceLength(names, starEnd);
      n = starEnd;
      p = afterStar;
    }
  }
}

/** Bytes of the UTF-8 sequence starting at `at` (1 for ASCII or a stray byte), cut at the end of `bytes`. */
function sequenceLength(bytes: Uint8Array, at: number): number {
  const lead = bytes[at] as number;
  const wanted = lead < 0xc0 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
  let length = 1;
  while (length < wanted && at + length < bytes.length && ((bytes[at + length] as number) & 0xc0) === 0x80) length++;
  return length;
}
