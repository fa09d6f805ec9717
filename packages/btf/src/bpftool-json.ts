import type { Btf } from './spec.js';
import type { BtfType } from './types.js';

/** One type as `bpftool -j btf dump file …` prints it: `id`, upper-case `kind`, `name` (`(anon)` when empty), then its fields. */
export type BpftoolJsonType = Record<string, unknown> & {
  /** The type id. */
  readonly id: number;
  /** The kind, upper-cased as bpftool prints it (`STRUCT`, `INT`…). */
  readonly kind: string;
};

const intEncodings: Record<number, string> = { 0: '(none)', 1: 'SIGNED', 2: 'CHAR', 4: 'BOOL' };
const linkages = ['static', 'global', 'extern'];
const anon = (name: string) => (name === '' ? '(anon)' : name);

/**
 * `type` in bpftool's JSON shape, fields in bpftool's order. Enumerator values are exact:
 * 64-bit ones stay bigints (bpftool 7.1 prints an unsigned 32-bit enumerator of 2³¹ or more
 * sign-extended to 64 bits; this prints its value).
 */
export function toBpftoolJson(type: BtfType): BpftoolJsonType {
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
        values: type.values.map((v) => ({ name: anon(v.name), val: v.value })),
      };
    case 'fwd':
      return { ...base, fwd_kind: type.union ? 'union' : 'struct' };
    case 'func':
      return { ...base, type_id: type.type, linkage: linkages[type.linkage] ?? 'UNKN' };
    case 'func_proto':
      return {
        ...base,
        ret_type_id: type.returnType,
        vlen: type.params.length,
        params: type.params.map((p) => ({ name: anon(p.name), type_id: p.type })),
      };
    case 'var':
      return { ...base, type_id: type.type, linkage: linkages[type.linkage] ?? 'UNKN' };
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

/** One type as compact JSON text, 64-bit enumerators written as exact integers (JSON.stringify refuses bigints). */
function typeJson(type: BtfType): string {
  const json = toBpftoolJson(type);
  if (type.kind !== 'enum64') return JSON.stringify(json);
  const { values: _, ...rest } = json;
  const entries = type.values.map(
    (v) => `{"name":${JSON.stringify(v.name === '' ? '(anon)' : v.name)},"val":${v.value}}`,
  );
  return `${JSON.stringify(rest).slice(0, -1)},"values":[${entries.join(',')}]}`;
}

/**
 * `{"types":[…]}` as `bpftool -j btf dump file` prints it, in pieces of about `chunk`
 * characters, so a caller can write vmlinux's 18 MB as it goes instead of holding it.
 * `ids` picks the types (every type of the blob by default).
 */
export function* bpftoolJsonChunks(btf: Btf, ids?: Iterable<number>, chunk = 1 << 16): Generator<string> {
  let text = '{"types":[';
  let first = true;
  const all = function* () {
    for (let id = btf.firstId; id < btf.typeCount; id++) yield id;
  };
  for (const id of ids ?? all()) {
    text += (first ? '' : ',') + typeJson(btf.type(id));
    first = false;
    if (text.length >= chunk) {
      yield text;
      text = '';
    }
  }
  yield `${text}]}`;
}
