import { BtfError } from './errors.js';
import { BtfKind, kindNames } from './kinds.js';
import type { RecordSource } from './record-source.js';
import { ENTRY_WORDS, infoKind, infoVlen } from './records.js';
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

/** Checks that the name offset at word `at` is inside the string section. */
function checkName(source: RecordSource, id: number, word: number, at: number, field: string): void {
  const value = source.words[at] as number;
  if (value !== 0 && value >= source.stringEnd) badField(source, id, word, at, field, true);
}

/** Checks that the type id at word `at` exists. */
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

// `newView` and `referencesInRange` run once per type on a full decode, so their cases are
// literal kind numbers: V8 compiles such a switch to a jump table, while one over `BtfKind.X`
// reads becomes a chain of comparisons whose bytecode is also too large to be inlined (the
// range checks of vmlinux took half as long again that way).

/**
 * A new view for type `id` of kind number `kind`, or undefined for a kind BTF does not have.
 * Kept to the `new` expressions alone, so the engine inlines every constructor chain here.
 */
function newView(source: RecordSource, id: number, kind: number): BtfType | undefined {
  switch (kind) {
    case 1 /* INT */:
      return new IntView(source, id);
    case 2 /* PTR */:
      return new PtrView(source, id);
    case 3 /* ARRAY */:
      return new ArrayView(source, id);
    case 4 /* STRUCT */:
    case 5 /* UNION */:
      return new CompositeView(source, id);
    case 6 /* ENUM */:
      return new EnumView(source, id);
    case 7 /* FWD */:
      return new FwdView(source, id);
    case 8 /* TYPEDEF */:
    case 9 /* VOLATILE */:
    case 10 /* CONST */:
    case 11 /* RESTRICT */:
      return new ReferenceView(source, id);
    case 12 /* FUNC */:
      return new FuncView(source, id);
    case 13 /* FUNC_PROTO */:
      return new FuncProtoView(source, id);
    case 14 /* VAR */:
      return new VarView(source, id);
    case 15 /* DATASEC */:
      return new DatasecView(source, id);
    case 16 /* FLOAT */:
      return new FloatView(source, id);
    case 17 /* DECL_TAG */:
      return new DeclTagView(source, id);
    case 18 /* TYPE_TAG */:
      return new TypeTagView(source, id);
    case 19 /* ENUM64 */:
      return new Enum64View(source, id);
    default:
      return undefined;
  }
}

/** Checks the names and type ids of the record at word `word` (type `id`, kind number `kind`) field by field. */
function checkRecord(source: RecordSource, id: number, word: number, kind: number): void {
  checkName(source, id, word, word, 'name_off');
  switch (kind) {
    case BtfKind.ARRAY:
      checkType(source, id, word, word + 3, 'array.type');
      checkType(source, id, word, word + 4, 'array.index_type');
      break;
    case BtfKind.STRUCT:
    case BtfKind.UNION:
      checkList(source, id, word, 3, 0, 1, memberFields);
      break;
    case BtfKind.ENUM:
      checkList(source, id, word, 2, 0, -1, enumeratorFields);
      break;
    case BtfKind.ENUM64:
      checkList(source, id, word, 3, 0, -1, enumeratorFields);
      break;
    case BtfKind.FUNC_PROTO:
      checkType(source, id, word, word + 2, 'type');
      checkList(source, id, word, 2, 0, 1, paramFields);
      break;
    case BtfKind.DATASEC:
      checkList(source, id, word, 3, -1, 0, varFields);
      break;
    case BtfKind.INT:
    case BtfKind.FWD:
    case BtfKind.FLOAT:
      break;
    default:
      // PTR, TYPEDEF, VOLATILE, CONST, RESTRICT, TYPE_TAG, FUNC, VAR, DECL_TAG: a type id in word 2.
      checkType(source, id, word, word + 2, 'type');
      break;
  }
}

/**
 * The type record at word `word` as type `id`, of kind number `kind` (from the scan, which
 * refuses unknown kinds): its names and referenced ids are checked, then a view is returned
 * that reads the rest on demand.
 */
export function decodeRecord(source: RecordSource, id: number, word: number, kind: number): BtfType {
  if (!source.verified) checkReferences(source, id, word, kind);
  return newView(source, id, kind) as BtfType;
}

/**
 * Every record of the blob as views, index = id − `firstId`; `kinds` are the kind numbers
 * from the scan. All records are checked first (unless the kernel did), then all views
 * made: two tight loops, each in its own function so the engine optimises each alone, run
 * faster than one that does both.
 */
export function decodeAllRecords(source: RecordSource, kinds: Uint8Array): BtfType[] {
  const { starts, firstId } = source;
  if (!source.verified) checkAllRecords(source, kinds);
  const all = new Array<BtfType>(starts.length);
  for (let index = 0; index < starts.length; index++) {
    all[index] = newView(source, firstId + index, kinds[index] as number) as BtfType;
  }
  return all;
}

/** Checks every record's names and type ids; the first record that fails throws its precise error. */
function checkAllRecords(source: RecordSource, kinds: Uint8Array): void {
  const { starts, firstId } = source;
  for (let index = 0; index < starts.length; index++) {
    checkReferences(source, firstId + index, starts[index] as number, kinds[index] as number);
  }
}

/**
 * Checks the names and type ids of the record at word `word`: one quick pass, then field
 * by field, for the precise error, only if that pass fails.
 */
function checkReferences(source: RecordSource, id: number, word: number, kind: number): void {
  if (!referencesInRange(source, word, kind)) checkRecord(source, id, word, kind);
}

/**
 * True when every name offset of the record at `word` is in the string section and every
 * type id it holds exists: {@link checkRecord}'s verdict in one quick pass, without naming
 * the field (a property test holds it to an oracle that reads every field of every type).
 */
function referencesInRange(source: RecordSource, word: number, kind: number): boolean {
  const { words, typeCount: types } = source;
  // Offset 0 (no name) is always allowed, even with no strings at all.
  const names = Math.max(source.stringEnd, 1);
  if ((words[word] as number) >= names) return false;
  const end = word + 3 + infoVlen(words[word + 1] as number) * (ENTRY_WORDS[kind] as number);
  switch (kind) {
    case 1 /* INT */:
    case 7 /* FWD */:
    case 16 /* FLOAT */:
      return true;
    case 3 /* ARRAY */:
      return (words[word + 3] as number) < types && (words[word + 4] as number) < types;
    case 4 /* STRUCT */:
    case 5 /* UNION */:
      for (let entry = word + 3; entry < end; entry += 3) {
        if ((words[entry] as number) >= names || (words[entry + 1] as number) >= types) return false;
      }
      return true;
    case 13 /* FUNC_PROTO */:
      for (let entry = word + 3; entry < end; entry += 2) {
        if ((words[entry] as number) >= names || (words[entry + 1] as number) >= types) return false;
      }
      return (words[word + 2] as number) < types;
    case 6 /* ENUM */:
      for (let entry = word + 3; entry < end; entry += 2) {
        if ((words[entry] as number) >= names) return false;
      }
      return true;
    case 19 /* ENUM64 */:
      for (let entry = word + 3; entry < end; entry += 3) {
        if ((words[entry] as number) >= names) return false;
      }
      return true;
    case 15 /* DATASEC */:
      for (let entry = word + 3; entry < end; entry += 3) {
        if ((words[entry] as number) >= types) return false;
      }
      return true;
    default:
      return (words[word + 2] as number) < types;
  }
}
