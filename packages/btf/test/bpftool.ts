import { execFileSync } from 'node:child_process';
import type { BtfType } from '../src/index.js';

/** One type as `bpftool -j btf dump file` prints it. */
export type BpftoolType = Record<string, unknown> & { id: number; kind: string };

/** bpftool's JSON dump of the BTF in `path` (an object or a raw BTF file). */
export function bpftoolTypes(path: string): BpftoolType[] {
  const json = execFileSync('bpftool', ['-j', 'btf', 'dump', 'file', path], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  return (JSON.parse(json) as { types: BpftoolType[] }).types;
}

const intEncodings: Record<number, string> = { 0: '(none)', 1: 'SIGNED', 2: 'CHAR', 4: 'BOOL' };
const funcLinkages = ['static', 'global', 'extern'];
const varLinkages = ['static', 'global', 'extern'];
const anon = (name: string) => (name === '' ? '(anon)' : name);

/**
 * bpftool 7.1 prints a 32-bit enumerator through a sign-extending cast even when the enum is
 * unsigned, so 0xefffffff shows as 0xffffffffefffffff; mirror that to compare.
 */
function bpftoolEnumValue(kind: 'enum' | 'enum64', value: number | bigint): number {
  if (kind === 'enum' && typeof value === 'number' && value >= 2 ** 31)
    return Number(2n ** 64n - 2n ** 32n + BigInt(value));
  return Number(value);
}

/** Our decoded type in bpftool's JSON shape, so the two can be compared whole. */
export function asBpftool(type: BtfType): BpftoolType {
  const base = { id: type.id, kind: type.kind.toUpperCase(), name: anon(type.name) };
  switch (type.kind) {
    case 'int':
      return {
        ...base,
        size: type.size,
        bits_offset: type.bitOffset,
        nr_bits: type.bits,
        encoding: intEncodings[type.encoding] ?? 'UNKN',
      };
    case 'ptr':
    case 'typedef':
    case 'volatile':
    case 'const':
    case 'restrict':
    case 'type_tag':
      return { ...base, type_id: type.type };
    case 'array':
      return { ...base, type_id: type.type, index_type_id: type.indexType, nr_elems: type.length };
    case 'struct':
    case 'union':
      return {
        ...base,
        size: type.size,
        vlen: type.members.length,
        members: type.members.map((m) => ({
          name: anon(m.name),
          type_id: m.type,
          bits_offset: m.bitOffset,
          ...(m.bitfieldSize !== 0 ? { bitfield_size: m.bitfieldSize } : {}),
        })),
      };
    case 'enum':
    case 'enum64':
      return {
        ...base,
        encoding: type.signed ? 'SIGNED' : 'UNSIGNED',
        size: type.size,
        vlen: type.values.length,
        values: type.values.map((v) => ({ name: anon(v.name), val: bpftoolEnumValue(type.kind, v.value) })),
      };
    case 'fwd':
      return { ...base, fwd_kind: type.union ? 'union' : 'struct' };
    case 'func':
      return { ...base, type_id: type.type, linkage: funcLinkages[type.linkage] ?? 'UNKN' };
    case 'func_proto':
      return {
        ...base,
        ret_type_id: type.returnType,
        vlen: type.params.length,
        params: type.params.map((p) => ({ name: anon(p.name), type_id: p.type })),
      };
    case 'var':
      return { ...base, type_id: type.type, linkage: varLinkages[type.linkage] ?? 'UNKN' };
    case 'datasec':
      return {
        ...base,
        size: type.size,
        vlen: type.vars.length,
        vars: type.vars.map((v) => ({ type_id: v.type, offset: v.offset, size: v.size })),
      };
    case 'float':
      return { ...base, size: type.size };
    case 'decl_tag':
      return { ...base, type_id: type.type, component_idx: type.componentIndex };
    case 'void':
      return base;
  }
}
