import { BtfError } from './errors.js';
import { BtfKind, kindNames } from './kinds.js';
import type { RecordSource } from './record-source.js';
import { infoKind, infoVlen } from './records.js';
import type { BtfType } from './types.js';
import {
  ArrayView,
  CompositeView,
  DatasecView,
  DeclTagView,
  Enum64View,
  EnumView,
  FloatView,
  FuncProtoView,
  FuncView,
  FwdView,
  IntView,
  PtrView,
  ReferenceView,
  TypeTagView,
  VarView,
} from './views.js';

export type { RecordSource } from './record-source.js';

/** Fails for type `id` at `word`, naming its kind and what is wrong. */
function fail(
  source: RecordSource,
  id: number,
  word: number,
  code: BtfError['code'],
  problem: string,
  context: BtfError['context'],
): never {
  const kind = kindNames[infoKind(source.words[word + 1] as number)];
  throw new BtfError(code, problem, {
    ...(source.object === undefined ? {} : { object: source.object }),
    typeId: id,
    ...(kind === undefined ? {} : { kind }),
    ...context,
  });
}

/** Fails for the field at word `at` whose value is not below `limit` (the string section's end, or the type count). */
function badField(source: RecordSource, id: number, word: number, at: number, field: string, names: boolean): never {
  const [code, problem, limit] = names
    ? (['bad-string', 'name offset does not point at a NUL-terminated string', source.stringEnd] as const)
    : (['bad-type-id', 'refers to a type id that does not exist', source.typeCount] as const);
  return fail(source, id, word, code, problem, {
    field,
    offset: source.typeStart + at * 4,
    expected: `< ${limit}`,
    actual: source.words[at] as number,
  });
}

/** Checks that the name offset at word `at` is inside the string section (hot: kept tiny). */
function checkName(source: RecordSource, id: number, word: number, at: number, field: string): void {
  const value = source.words[at] as number;
  if (value !== 0 && value >= source.stringEnd) badField(source, id, word, at, field, true);
}

/** Checks that the type id at word `at` exists (hot: kept tiny). */
function checkType(source: RecordSource, id: number, word: number, at: number, field: string): void {
  if ((source.words[at] as number) >= source.typeCount) badField(source, id, word, at, field, false);
}

/** Checks every entry of the record's list: names at `nameWord`, type ids at `typeWord` (-1: none). */
function checkList(
  source: RecordSource,
  id: number,
  word: number,
  stride: number,
  nameWord: number,
  typeWord: number,
  fields: readonly [string, string],
): void {
  const words = source.words;
  const stringEnd = source.stringEnd;
  const typeCount = source.typeCount;
  const end = word + 3 + infoVlen(words[word + 1] as number) * stride;
  for (let entry = word + 3; entry < end; entry += stride) {
    if (nameWord >= 0) {
      const name = words[entry + nameWord] as number;
      if (name !== 0 && name >= stringEnd) badField(source, id, word, entry + nameWord, fields[0], true);
    }
    if (typeWord >= 0 && (words[entry + typeWord] as number) >= typeCount) {
      badField(source, id, word, entry + typeWord, fields[1], false);
    }
  }
}

const memberFields = ['member name_off', 'member type'] as const;
const enumeratorFields = ['enumerator name_off', ''] as const;
const paramFields = ['param name_off', 'param type'] as const;
const varFields = ['', 'var type'] as const;

/**
 * The type record at word `word` as type `id`: its names and referenced ids are checked,
 * then a view is returned that reads the rest on demand.
 */
export function decodeRecord(source: RecordSource, id: number, word: number): BtfType {
  checkName(source, id, word, word, 'name_off');
  switch (infoKind(source.words[word + 1] as number)) {
    case BtfKind.INT:
      return new IntView(source, id);
    case BtfKind.PTR:
      checkType(source, id, word, word + 2, 'type');
      return new PtrView(source, id);
    case BtfKind.ARRAY:
      checkType(source, id, word, word + 3, 'array.type');
      checkType(source, id, word, word + 4, 'array.index_type');
      return new ArrayView(source, id);
    case BtfKind.STRUCT:
    case BtfKind.UNION:
      checkList(source, id, word, 3, 0, 1, memberFields);
      return new CompositeView(source, id);
    case BtfKind.ENUM:
      checkList(source, id, word, 2, 0, -1, enumeratorFields);
      return new EnumView(source, id);
    case BtfKind.ENUM64:
      checkList(source, id, word, 3, 0, -1, enumeratorFields);
      return new Enum64View(source, id);
    case BtfKind.FWD:
      return new FwdView(source, id);
    case BtfKind.TYPEDEF:
    case BtfKind.VOLATILE:
    case BtfKind.CONST:
    case BtfKind.RESTRICT:
      checkType(source, id, word, word + 2, 'type');
      return new ReferenceView(source, id);
    case BtfKind.TYPE_TAG:
      checkType(source, id, word, word + 2, 'type');
      return new TypeTagView(source, id);
    case BtfKind.FUNC:
      checkType(source, id, word, word + 2, 'type');
      return new FuncView(source, id);
    case BtfKind.FUNC_PROTO:
      checkType(source, id, word, word + 2, 'type');
      checkList(source, id, word, 2, 0, 1, paramFields);
      return new FuncProtoView(source, id);
    case BtfKind.VAR:
      checkType(source, id, word, word + 2, 'type');
      return new VarView(source, id);
    case BtfKind.DATASEC:
      checkList(source, id, word, 3, -1, 0, varFields);
      return new DatasecView(source, id);
    case BtfKind.FLOAT:
      return new FloatView(source, id);
    case BtfKind.DECL_TAG:
      checkType(source, id, word, word + 2, 'type');
      return new DeclTagView(source, id);
    default:
      return fail(source, id, word, 'bad-kind', 'unknown BTF kind', {
        offset: source.typeStart + (word + 1) * 4,
        actual: infoKind(source.words[word + 1] as number),
      });
  }
}
