import type { RecordSource } from './record-source.js';
import { ENTRY_WORDS, infoVlen } from './records.js';

/**
 * Marks, by type id, every type another record of the blob names: a member, parameter,
 * section entry, array element or index, or the target of a pointer, typedef, qualifier,
 * tag, function or variable. A prototype's return type does not count, following libbpf's
 * C dumper, which prints an anonymous enum no record marks as a declaration of its own.
 * Reads the words directly, so no type is decoded.
 */
export function markReferencedTypes(source: RecordSource, kinds: Uint8Array): Uint8Array {
  const { words, starts, typeCount } = source;
  const marks = new Uint8Array(typeCount);
  for (let index = 0; index < starts.length; index++) {
    const word = starts[index] as number;
    const kind = kinds[index] as number;
    const entries = word + 3;
    const end = entries + infoVlen(words[word + 1] as number) * (ENTRY_WORDS[kind] as number);
    switch (kind) {
      case 1 /* INT */:
      case 6 /* ENUM */:
      case 7 /* FWD */:
      case 16 /* FLOAT */:
      case 19 /* ENUM64 */:
        break;
      case 3 /* ARRAY */:
        marks[words[word + 3] as number] = 1;
        marks[words[word + 4] as number] = 1;
        break;
      case 4 /* STRUCT */:
      case 5 /* UNION */:
        for (let entry = entries; entry < end; entry += 3) marks[words[entry + 1] as number] = 1;
        break;
      case 13 /* FUNC_PROTO */:
        for (let entry = entries; entry < end; entry += 2) marks[words[entry + 1] as number] = 1;
        break;
      case 15 /* DATASEC */:
        for (let entry = entries; entry < end; entry += 3) marks[words[entry] as number] = 1;
        break;
      default:
        marks[words[word + 2] as number] = 1;
    }
  }
  return marks;
}
