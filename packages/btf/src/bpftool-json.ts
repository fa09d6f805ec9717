import { kindNames } from './kinds.js';
import type { Btf } from './spec.js';
import type { TypeRecords } from './type-records.js';
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

/** A name as a JSON string, `(anon)` when empty. */
function jsonName(name: string): string {
  return JSON.stringify(anon(name));
}

/**
 * Type `id` as compact JSON text, read straight from the records: the text `JSON.stringify`
 * gives {@link toBpftoolJson}'s object, 64-bit enumerators written as exact integers (which
 * JSON.stringify refuses as bigints), without making the object.
 */
function typeJson(r: TypeRecords, id: number): string {
  const kind = r.kind(id);
  const base = `{"id":${id},"kind":"${(kindNames[kind] as string).toUpperCase()}","name":${jsonName(r.name(id))}`;
  if (kind === 0 /* VOID */) return `${base}}`;
  const words = r.words;
  const first = r.entries(id);
  const word2 = r.sizeOrType(id);
  const vlen = r.vlen(id);
  const list: string[] = [];
  switch (kind) {
    case 1 /* INT */:
      {
        const bits = words[first] as number;
        const encoding = intEncodings[(bits >>> 24) & 0x0f] ?? 'UNKN';
        return `${base},"size":${word2},"bits_offset":${(bits >>> 16) & 0xff},"nr_bits":${bits & 0xff},"encoding":"${encoding}"}`;
      }
    case 3 /* ARRAY */:
      return `${base},"type_id":${words[first]},"index_type_id":${words[first + 1]},"nr_elems":${words[first + 2]}}`;
    case 4 /* STRUCT */:
    case 5 /* UNION */:
      {
        const bitfields = r.kindFlag(id);
        for (let w = first; w < first + 3 * vlen; w += 3) {
          const offset = words[w + 2] as number;
          const bitfieldSize = bitfields ? offset >>> 24 : 0;
          const bitOffset = bitfields ? offset & 0xffffff : offset;
          const member = `{"name":${jsonName(r.text(words[w] as number))},"type_id":${words[w + 1]},"bits_offset":${bitOffset}`;
          list.push(bitfieldSize !== 0 ? `${member},"bitfield_size":${bitfieldSize}}` : `${member}}`);
        }
        return `${base},"size":${word2},"vlen":${vlen},"members":[${list.join(',')}]}`;
      }
    case 6 /* ENUM */:
    case 19 /* ENUM64 */:
      {
        const signed = r.kindFlag(id);
        const stride = kind === 6 ? 2 : 3;
        for (let w = first; w < first + stride * vlen; w += stride) {
          const low = words[w + 1] as number;
          const value =
            kind === 6
              ? `${signed ? low | 0 : low}`
              : `${signed ? BigInt.asIntN(64, (BigInt(words[w + 2] as number) << 32n) | BigInt(low)) : (BigInt(words[w + 2] as number) << 32n) | BigInt(low)}`;
          list.push(`{"name":${jsonName(r.text(words[w] as number))},"val":${value}}`);
        }
        const encoding = signed ? 'SIGNED' : 'UNSIGNED';
        return `${base},"encoding":"${encoding}","size":${word2},"vlen":${vlen},"values":[${list.join(',')}]}`;
      }
    case 7 /* FWD */:
      return `${base},"fwd_kind":"${r.kindFlag(id) ? 'union' : 'struct'}"}`;
    case 12 /* FUNC */:
      return `${base},"type_id":${word2},"linkage":"${linkages[vlen] ?? 'UNKN'}"}`;
    case 13 /* FUNC_PROTO */:
      for (let w = first; w < first + 2 * vlen; w += 2) {
        list.push(`{"name":${jsonName(r.text(words[w] as number))},"type_id":${words[w + 1]}}`);
      }
      return `${base},"ret_type_id":${word2},"vlen":${vlen},"params":[${list.join(',')}]}`;
    case 14 /* VAR */:
      return `${base},"type_id":${word2},"linkage":"${linkages[words[first] as number] ?? 'UNKN'}"}`;
    case 15 /* DATASEC */:
      for (let w = first; w < first + 3 * vlen; w += 3) {
        list.push(`{"type_id":${words[w]},"offset":${words[w + 1]},"size":${words[w + 2]}}`);
      }
      return `${base},"size":${word2},"vlen":${vlen},"vars":[${list.join(',')}]}`;
    case 16 /* FLOAT */:
      return `${base},"size":${word2}}`;
    case 17 /* DECL_TAG */:
      return `${base},"type_id":${word2},"component_idx":${(words[first] as number) | 0}}`;
    default:
      // PTR, TYPEDEF, VOLATILE, CONST, RESTRICT, TYPE_TAG: the type they name.
      return `${base},"type_id":${word2}}`;
  }
}

/**
 * `{"types":[…]}` as `bpftool -j btf dump file` prints it, in pieces of about `chunk`
 * characters, so a caller can write vmlinux's 18 MB as it goes instead of holding it.
 * `ids` picks the types (every type of the blob by default).
 */
export function* bpftoolJsonChunks(btf: Btf, ids?: Iterable<number>, chunk = 1 << 16): Generator<string> {
  const records = btf.records();
  let text = '{"types":[';
  let first = true;
  const all = function* () {
    for (let id = btf.firstId; id < btf.typeCount; id++) yield id;
  };
  for (const id of ids ?? all()) {
    text += (first ? '' : ',') + typeJson(records, id);
    first = false;
    if (text.length >= chunk) {
      yield text;
      text = '';
    }
  }
  yield `${text}]}`;
}
