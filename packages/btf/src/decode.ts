import { BtfError } from './errors.js';
import { BtfKind, kindNames } from './kinds.js';
import { infoKind, infoKindFlag, infoVlen, TYPE_HEADER_SIZE } from './records.js';
import type { BtfStrings } from './strings.js';
import type { BtfEnum64Value, BtfEnumValue, BtfMember, BtfParam, BtfType, BtfVarSecinfo } from './types.js';

/** What {@link decodeRecord} needs to read one type record. */
export interface RecordSource {
  readonly view: DataView;
  readonly littleEndian: boolean;
  readonly strings: BtfStrings;
  /** One past the largest valid type id. */
  readonly typeCount: number;
  /** The origin named in errors. */
  readonly object: string | undefined;
}

function fail(
  source: RecordSource,
  id: number,
  at: number,
  code: BtfError['code'],
  problem: string,
  context: BtfError['context'],
): never {
  const kind = kindNames[infoKind(source.view.getUint32(at + 4, source.littleEndian))];
  throw new BtfError(code, problem, {
    ...(source.object === undefined ? {} : { object: source.object }),
    typeId: id,
    ...(kind === undefined ? {} : { kind }),
    ...context,
  });
}

/** The string at `offset`, or a `bad-string` error naming the field of type `id` that holds it. */
function nameAt(source: RecordSource, id: number, at: number, offset: number, field: string, fieldAt: number): string {
  if (offset === 0) return '';
  const text = source.strings.tryAt(offset);
  if (text === undefined) {
    fail(source, id, at, 'bad-string', 'name offset does not point at a NUL-terminated string', {
      field,
      offset: fieldAt,
      expected: `< ${source.strings.end}`,
      actual: offset,
    });
  }
  return text;
}

/** `value` when it is an existing type id, else a `bad-type-id` error naming the field. */
function typeRef(source: RecordSource, id: number, at: number, value: number, field: string, fieldAt: number): number {
  if (value >= source.typeCount) {
    fail(source, id, at, 'bad-type-id', 'refers to a type id that does not exist', {
      field,
      offset: fieldAt,
      expected: `< ${source.typeCount}`,
      actual: value,
    });
  }
  return value;
}

/** Decodes the type record at byte `at` as type `id`, checking its names and referenced ids. */
export function decodeRecord(source: RecordSource, id: number, at: number): BtfType {
  const view = source.view;
  const le = source.littleEndian;
  const info = view.getUint32(at + 4, le);
  const kind = infoKind(info);
  const vlen = infoVlen(info);
  const kindFlag = infoKindFlag(info);
  const sizeOrType = view.getUint32(at + 8, le);
  const body = at + TYPE_HEADER_SIZE;
  const nameOffset = view.getUint32(at, le);
  const name = nameAt(source, id, at, nameOffset, 'name_off', at);

  switch (kind) {
    case BtfKind.INT: {
      const data = view.getUint32(body, le);
      return {
        id,
        kind: 'int',
        name,
        nameOffset,
        size: sizeOrType,
        bits: data & 0xff,
        bitOffset: (data >>> 16) & 0xff,
        encoding: (data >>> 24) & 0x0f,
      };
    }
    case BtfKind.PTR:
      return { id, kind: 'ptr', name, nameOffset, type: typeRef(source, id, at, sizeOrType, 'type', at + 8) };
    case BtfKind.ARRAY:
      return {
        id,
        kind: 'array',
        name,
        nameOffset,
        type: typeRef(source, id, at, view.getUint32(body, le), 'array.type', body),
        indexType: typeRef(source, id, at, view.getUint32(body + 4, le), 'array.index_type', body + 4),
        length: view.getUint32(body + 8, le),
      };
    case BtfKind.STRUCT:
    case BtfKind.UNION: {
      const members: BtfMember[] = [];
      for (let i = 0; i < vlen; i++) {
        const m = body + i * 12;
        const memberNameOffset = view.getUint32(m, le);
        const offset = view.getUint32(m + 8, le);
        members.push({
          name: nameAt(source, id, at, memberNameOffset, 'member name_off', m),
          nameOffset: memberNameOffset,
          type: typeRef(source, id, at, view.getUint32(m + 4, le), 'member type', m + 4),
          bitOffset: kindFlag ? offset & 0xffffff : offset,
          bitfieldSize: kindFlag ? offset >>> 24 : 0,
        });
      }
      return {
        id,
        kind: kind === BtfKind.STRUCT ? 'struct' : 'union',
        name,
        nameOffset,
        size: sizeOrType,
        bitfieldEncoding: kindFlag,
        members,
      };
    }
    case BtfKind.ENUM: {
      const values: BtfEnumValue[] = [];
      for (let i = 0; i < vlen; i++) {
        const e = body + i * 8;
        const valueNameOffset = view.getUint32(e, le);
        values.push({
          name: nameAt(source, id, at, valueNameOffset, 'enumerator name_off', e),
          nameOffset: valueNameOffset,
          value: kindFlag ? view.getInt32(e + 4, le) : view.getUint32(e + 4, le),
        });
      }
      return { id, kind: 'enum', name, nameOffset, size: sizeOrType, signed: kindFlag, values };
    }
    case BtfKind.ENUM64: {
      const values: BtfEnum64Value[] = [];
      for (let i = 0; i < vlen; i++) {
        const e = body + i * 12;
        const valueNameOffset = view.getUint32(e, le);
        const raw = (BigInt(view.getUint32(e + 8, le)) << 32n) | BigInt(view.getUint32(e + 4, le));
        values.push({
          name: nameAt(source, id, at, valueNameOffset, 'enumerator name_off', e),
          nameOffset: valueNameOffset,
          value: kindFlag ? BigInt.asIntN(64, raw) : raw,
        });
      }
      return { id, kind: 'enum64', name, nameOffset, size: sizeOrType, signed: kindFlag, values };
    }
    case BtfKind.FWD:
      return { id, kind: 'fwd', name, nameOffset, union: kindFlag };
    case BtfKind.TYPEDEF:
    case BtfKind.VOLATILE:
    case BtfKind.CONST:
    case BtfKind.RESTRICT:
      return {
        id,
        kind: kindNames[kind] as 'typedef' | 'volatile' | 'const' | 'restrict',
        name,
        nameOffset,
        type: typeRef(source, id, at, sizeOrType, 'type', at + 8),
      };
    case BtfKind.TYPE_TAG:
      return {
        id,
        kind: 'type_tag',
        name,
        nameOffset,
        type: typeRef(source, id, at, sizeOrType, 'type', at + 8),
        attribute: kindFlag,
      };
    case BtfKind.FUNC:
      return {
        id,
        kind: 'func',
        name,
        nameOffset,
        type: typeRef(source, id, at, sizeOrType, 'type', at + 8),
        linkage: vlen,
      };
    case BtfKind.FUNC_PROTO: {
      const params: BtfParam[] = [];
      for (let i = 0; i < vlen; i++) {
        const p = body + i * 8;
        const paramNameOffset = view.getUint32(p, le);
        params.push({
          name: nameAt(source, id, at, paramNameOffset, 'param name_off', p),
          nameOffset: paramNameOffset,
          type: typeRef(source, id, at, view.getUint32(p + 4, le), 'param type', p + 4),
        });
      }
      return {
        id,
        kind: 'func_proto',
        name,
        nameOffset,
        returnType: typeRef(source, id, at, sizeOrType, 'type', at + 8),
        params,
      };
    }
    case BtfKind.VAR:
      return {
        id,
        kind: 'var',
        name,
        nameOffset,
        type: typeRef(source, id, at, sizeOrType, 'type', at + 8),
        linkage: view.getUint32(body, le),
      };
    case BtfKind.DATASEC: {
      const vars: BtfVarSecinfo[] = [];
      for (let i = 0; i < vlen; i++) {
        const v = body + i * 12;
        vars.push({
          type: typeRef(source, id, at, view.getUint32(v, le), 'var type', v),
          offset: view.getUint32(v + 4, le),
          size: view.getUint32(v + 8, le),
        });
      }
      return { id, kind: 'datasec', name, nameOffset, size: sizeOrType, vars };
    }
    case BtfKind.FLOAT:
      return { id, kind: 'float', name, nameOffset, size: sizeOrType };
    case BtfKind.DECL_TAG:
      return {
        id,
        kind: 'decl_tag',
        name,
        nameOffset,
        type: typeRef(source, id, at, sizeOrType, 'type', at + 8),
        componentIndex: view.getInt32(body, le),
        attribute: kindFlag,
      };
    default:
      return fail(source, id, at, 'bad-kind', 'unknown BTF kind', { offset: at + 4, actual: kind });
  }
}
