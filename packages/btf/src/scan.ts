import { BtfError } from './errors.js';
import { kindNames } from './kinds.js';
import { extraSize, infoKind, infoVlen, TYPE_HEADER_SIZE } from './records.js';

/**
 * One pass over the type section: the byte offset of every type record, with each record's
 * kind and extent checked. Nothing is decoded; a 126k-type vmlinux scans in about a millisecond.
 */
export function scanTypes(
  view: DataView,
  start: number,
  length: number,
  littleEndian: boolean,
  firstId: number,
  object: string | undefined,
): Uint32Array {
  const end = start + length;
  const offsets = new Uint32Array(Math.floor(length / TYPE_HEADER_SIZE) + 1);
  let count = 0;
  let at = start;
  while (at < end) {
    const id = firstId + count;
    if (at + TYPE_HEADER_SIZE > end) {
      throw new BtfError('truncated', 'type record runs past the end of the type section', {
        ...(object === undefined ? {} : { object }),
        typeId: id,
        offset: at,
        expected: `12 bytes`,
        actual: `${end - at} bytes left`,
      });
    }
    const info = view.getUint32(at + 4, littleEndian);
    const kind = infoKind(info);
    const extra = extraSize(kind, infoVlen(info));
    if (extra < 0 || kind === 0) {
      throw new BtfError('bad-kind', 'unknown BTF kind', {
        ...(object === undefined ? {} : { object }),
        typeId: id,
        offset: at + 4,
        expected: '1..19',
        actual: kind,
      });
    }
    if (at + TYPE_HEADER_SIZE + extra > end) {
      throw new BtfError('truncated', `${kindNames[kind]} record runs past the end of the type section`, {
        ...(object === undefined ? {} : { object }),
        typeId: id,
        kind: kindNames[kind] as string,
        offset: at,
        expected: `end ≤ ${end}`,
        actual: `end ${at + TYPE_HEADER_SIZE + extra}`,
      });
    }
    offsets[count++] = at;
    at += TYPE_HEADER_SIZE + extra;
  }
  return offsets.subarray(0, count);
}
