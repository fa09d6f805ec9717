import { execFileSync } from 'node:child_process';
import { type BpftoolJsonType, type BtfType, toBpftoolJson } from '../src/index.js';

/** bpftool's JSON dump of the BTF in `path` (an object or a raw BTF file). */
export function bpftoolTypes(path: string): BpftoolJsonType[] {
  const json = execFileSync('bpftool', ['-j', 'btf', 'dump', 'file', path], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  return (JSON.parse(json) as { types: BpftoolJsonType[] }).types;
}

/**
 * An enumerator value as bpftool 7.1's JSON reads back: it prints a 32-bit enumerator through
 * a sign-extending cast even when the enum is unsigned (0xefffffff shows as 0xffffffffefffffff),
 * and JSON.parse makes every value a double.
 */
function asBpftoolReadsIt(kind: string, value: unknown): number {
  if (kind === 'ENUM' && typeof value === 'number' && value >= 2 ** 31)
    return Number(2n ** 64n - 2n ** 32n + BigInt(value));
  return Number(value);
}

/** A type in bpftool's JSON shape (as JSON.parse gives it back), bpftool 7.1's enum quirk included, to compare whole. */
export function asBpftool(type: BtfType | BpftoolJsonType): BpftoolJsonType {
  const json: BpftoolJsonType =
    type.kind === type.kind.toUpperCase() ? (type as BpftoolJsonType) : toBpftoolJson(type as BtfType);
  const values = json.values as { name: string; val: unknown }[] | undefined;
  if (values === undefined) return json;
  return { ...json, values: values.map((v) => ({ name: v.name, val: asBpftoolReadsIt(json.kind, v.val) })) };
}
