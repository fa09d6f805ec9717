import type { RecordSource } from './record-source.js';
import { infoVlen } from './records.js';

// Where the type ids a record names sit, per kind number: the word of the first one (from the
// record's start), the words from one to the next, and how many there are (-1: one per vlen
// entry). Nothing for INT, ENUM, FWD, FLOAT, ENUM64; the word after the header for PTR,
// TYPEDEF, the qualifiers, FUNC, VAR, DECL_TAG and TYPE_TAG; ARRAY's element and index types;
// each member's type (STRUCT, UNION), parameter's type (FUNC_PROTO, not its return type) and
// section entry's variable (DATASEC).
const FIRST_WORD = Int8Array.of(0, 0, 2, 3, 4, 4, 0, 0, 2, 2, 2, 2, 2, 4, 2, 3, 0, 2, 2, 0);
const STRIDE = Int8Array.of(1, 1, 1, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 2, 1, 3, 1, 1, 1, 1);
const COUNT = Int8Array.of(0, 0, 1, 2, -1, -1, 0, 0, 1, 1, 1, 1, 1, -1, 1, -1, 0, 1, 1, 0);

/**
 * Marks, by type id, every type another record of the blob names: a member, parameter,
 * section entry, array element or index, or the target of a pointer, typedef, qualifier,
 * tag, function or variable. A prototype's return type does not count, following libbpf's
 * C dumper, which prints an anonymous enum no record marks as a declaration of its own.
 * Reads the words directly, so no type is decoded.
 *
 * One loop for every kind, led by tables rather than a case per kind: a fresh process runs
 * it once, and V8 compiled a case it had not seen run yet (vmlinux's one DATASEC comes last)
 * as a deoptimization, which sent the loop back to the interpreter (issue #21).
 */
export function markReferencedTypes(source: RecordSource, kinds: Uint8Array): Uint8Array {
  const { words, starts, typeCount } = source;
  const marks = new Uint8Array(typeCount);
  for (let index = 0; index < starts.length; index++) {
    const word = starts[index] as number;
    const kind = kinds[index] as number;
    const fixed = COUNT[kind] as number;
    const count = fixed < 0 ? infoVlen(words[word + 1] as number) : fixed;
    const stride = STRIDE[kind] as number;
    const end = word + (FIRST_WORD[kind] as number) + count * stride;
    for (let at = word + (FIRST_WORD[kind] as number); at < end; at += stride) marks[words[at] as number] = 1;
  }
  return marks;
}
