import { BtfError } from './errors.js';
import { kindNames } from './kinds.js';
import { ENTRY_WORDS, FIXED_WORDS, TYPE_HEADER_SIZE } from './records.js';

const HEADER_WORDS = TYPE_HEADER_SIZE / 4;

/** Where each type record starts and what kind it is, index = id − first id. */
export interface TypeTable {
  /** Word index of each record in the type section. */
  readonly starts: Uint32Array;
  /** Kind number of each record, kept apart so kind filters read 1 byte per type, in order. */
  readonly kinds: Uint8Array;
}

/**
 * One pass over the type section: the word index and kind of every type record, with each
 * record's kind and extent checked. Nothing is decoded; a 126k-type vmlinux scans in about
 * a millisecond. Error offsets are bytes from the start of the blob (`typeStart` is where
 * `words[0]` sits).
 */
export function scanTypes(
  words: Uint32Array,
  typeStart: number,
  typeLength: number,
  firstId: number,
  object: string | undefined,
): TypeTable {
  const end = words.length;
  const starts = new Uint32Array(Math.floor(end / HEADER_WORDS) + 1);
  const kinds = new Uint8Array(starts.length);
  let count = 0;
  let at = 0;
  while (at < end) {
    if (at + HEADER_WORDS > end) truncated(object, firstId + count, typeStart + at * 4, typeStart + typeLength);
    const info = words[at + 1] as number;
    const kind = (info >>> 24) & 0x1f;
    // The tables read inline, not through extraWords: a call per record is most of the
    // cost of a scan that runs before V8 optimizes it.
    const fixed = FIXED_WORDS[kind] as number;
    if (fixed < 0) {
      throw new BtfError('bad-kind', 'unknown BTF kind', {
        ...(object === undefined ? {} : { object }),
        typeId: firstId + count,
        offset: typeStart + at * 4 + 4,
        expected: '1..19',
        actual: kind,
      });
    }
    const next = at + HEADER_WORDS + fixed + (ENTRY_WORDS[kind] as number) * (info & 0xffff);
    if (next > end) {
      throw new BtfError('truncated', `${kindNames[kind]} record runs past the end of the type section`, {
        ...(object === undefined ? {} : { object }),
        typeId: firstId + count,
        kind: kindNames[kind] as string,
        offset: typeStart + at * 4,
        expected: `end ≤ ${typeStart + typeLength}`,
        actual: `end ${typeStart + next * 4}`,
      });
    }
    kinds[count] = kind;
    starts[count++] = at;
    at = next;
  }
  if (end * 4 !== typeLength) truncated(object, firstId + count, typeStart + end * 4, typeStart + typeLength);
  return { starts: starts.subarray(0, count), kinds: kinds.subarray(0, count) };
}

function truncated(object: string | undefined, id: number, offset: number, sectionEnd: number): never {
  throw new BtfError('truncated', 'type record runs past the end of the type section', {
    ...(object === undefined ? {} : { object }),
    typeId: id,
    offset,
    expected: '12 bytes',
    actual: `${sectionEnd - offset} bytes left`,
  });
}
