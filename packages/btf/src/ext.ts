import { BtfError } from './errors.js';
import { keepLineRecords, LineRecords, lineRecordsOf } from './line-records.js';
import type { Btf } from './spec.js';

/** `.BTF.ext` magic, shared with `.BTF`. */
const EXT_MAGIC = 0xeb9f;

/** One `bpf_func_info` record of `.BTF.ext`. */
export interface FuncInfo {
  /** Byte offset of the function's first instruction in its ELF section. */
  readonly insnOffset: number;
  /** The FUNC type id. */
  readonly typeId: number;
}

/** One `bpf_line_info` record of `.BTF.ext`. */
export interface LineInfo {
  /** Byte offset of the instruction in its ELF section. */
  readonly insnOffset: number;
  /** Source file name. */
  readonly fileName: string;
  /** Offset of {@link fileName} in the BTF string section. */
  readonly fileNameOffset: number;
  /** Text of the source line. */
  readonly source: string;
  /** Offset of {@link source} in the BTF string section. */
  readonly sourceOffset: number;
  /** Line number (upper 22 bits of `line_col`). */
  readonly line: number;
  /** Column (lower 10 bits of `line_col`). */
  readonly column: number;
}

/** CO-RE relocation kinds (`enum bpf_core_relo_kind`). */
export const CoreReloKind = {
  /** Field byte offset. */
  FIELD_BYTE_OFFSET: 0,
  /** Field size in bytes. */
  FIELD_BYTE_SIZE: 1,
  /** Whether the field exists in the target. */
  FIELD_EXISTS: 2,
  /** Whether the field is signed. */
  FIELD_SIGNED: 3,
  /** Left shift for bitfield extraction. */
  FIELD_LSHIFT_U64: 4,
  /** Right shift for bitfield extraction. */
  FIELD_RSHIFT_U64: 5,
  /** Type id in the local BTF. */
  TYPE_ID_LOCAL: 6,
  /** Type id in the target BTF. */
  TYPE_ID_TARGET: 7,
  /** Whether the type exists in the target. */
  TYPE_EXISTS: 8,
  /** Type size in bytes. */
  TYPE_SIZE: 9,
  /** Whether the enumerator exists in the target. */
  ENUMVAL_EXISTS: 10,
  /** Enumerator value in the target. */
  ENUMVAL_VALUE: 11,
  /** Whether the type matches the target's (stricter than compatible). */
  TYPE_MATCHES: 12,
} as const;

/** The highest {@link CoreReloKind} there is. */
const LAST_CORE_RELO_KIND = CoreReloKind.TYPE_MATCHES;

/** Most steps an access string may have (libbpf's spec length). */
const MAX_ACCESS_STEPS = 64;

/** Largest index in an access string: compilers write C `int`s. */
const MAX_ACCESS_INDEX = 0x7fffffff;

/** Why `access` is not a CO-RE access string (decimal indexes joined by `:`), or `undefined` when it is one. */
function accessProblem(access: string): string | undefined {
  // One pass over the characters: this runs for every access string an object has.
  let steps = 1;
  let index = 0;
  let digits = 0;
  let tooLarge = false;
  for (let i = 0; i < access.length; i++) {
    const c = access.charCodeAt(i);
    if (c === 0x3a && digits > 0) {
      steps++;
      index = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      index = index * 10 + (c - 0x30);
      digits++;
      if (index > MAX_ACCESS_INDEX) tooLarge = true;
    } else {
      return 'is not decimal indexes joined by ":"';
    }
  }
  if (digits === 0) return 'is not decimal indexes joined by ":"';
  if (steps > MAX_ACCESS_STEPS) return `has ${steps} steps, more than ${MAX_ACCESS_STEPS}`;
  if (tooLarge) return `has an index past ${MAX_ACCESS_INDEX}`;
  return undefined;
}

/** One `bpf_core_relo` record of `.BTF.ext`. */
export interface CoreRelo {
  /** Byte offset of the instruction to patch in its ELF section. */
  readonly insnOffset: number;
  /** The local root type id. */
  readonly typeId: number;
  /** Access string such as `0:1:2`. */
  readonly accessString: string;
  /** Offset of {@link accessString} in the BTF string section. */
  readonly accessStringOffset: number;
  /** A {@link CoreReloKind}. */
  readonly kind: number;
}

/** Decoded `.BTF.ext`: func info, line info and CO-RE relocations, per ELF section name. */
export interface BtfExt {
  /** `bpf_func_info` records per section. */
  readonly funcInfo: ReadonlyMap<string, readonly FuncInfo[]>;
  /** `bpf_line_info` records per section (for a parsed section, decoded on first read). */
  readonly lineInfo: ReadonlyMap<string, readonly LineInfo[]>;
  /** `bpf_core_relo` records per section. */
  readonly coreRelos: ReadonlyMap<string, readonly CoreRelo[]>;
  /** Record sizes as written (the kernel wants them back with the records). */
  readonly recordSizes: {
    /** Size of one `bpf_func_info` record. */
    readonly funcInfo: number;
    /** Size of one `bpf_line_info` record. */
    readonly lineInfo: number;
    /** Size of one `bpf_core_relo` record. */
    readonly coreRelo: number;
  };
}

interface Part {
  readonly name: 'func_info' | 'line_info' | 'core_relo';
  readonly minRecordSize: number;
  readonly headerField: number;
}

const parts: readonly Part[] = [
  { name: 'func_info', minRecordSize: 8, headerField: 8 },
  { name: 'line_info', minRecordSize: 16, headerField: 16 },
  { name: 'core_relo', minRecordSize: 16, headerField: 24 },
];

/**
 * Parses `.BTF.ext`, reading names and strings from the object's `btf`. CO-RE records are
 * checked as libbpf checks them: a known kind, a root type id inside `btf` and an access
 * string of at most 64 decimal `int` indexes.
 * @throws {@link BtfError} `bad-ext` naming the part, section and byte offset of what is wrong.
 */
export function parseBtfExt(bytes: Uint8Array, btf: Btf): BtfExt {
  const object = btf.name;
  const fail = (problem: string, context: BtfError['context']): never => {
    throw new BtfError('bad-ext', problem, {
      ...(object === undefined ? {} : { object }),
      section: '.BTF.ext',
      ...context,
    });
  };
  if (bytes.length < 8)
    fail('shorter than the .BTF.ext header', { offset: 0, expected: '≥ 8 bytes', actual: bytes.length });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = view.getUint16(0, true) === EXT_MAGIC;
  if (!le && view.getUint16(0, false) !== EXT_MAGIC) {
    fail('bad magic', {
      field: 'magic',
      offset: 0,
      expected: '0xeb9f',
      actual: `0x${view.getUint16(0, true).toString(16)}`,
    });
  }
  if (view.getUint8(2) !== 1)
    fail('unknown version', { field: 'version', offset: 2, expected: 1, actual: view.getUint8(2) });
  const headerLength = view.getUint32(4, le);
  if (headerLength < 24 || headerLength > bytes.length) {
    fail('hdr_len is outside the blob', {
      field: 'hdr_len',
      offset: 4,
      expected: `24..${bytes.length}`,
      actual: headerLength,
    });
  }
  // Blocks repeat their section names, records their access strings: each is decoded once.
  const decoded = new Map<number, string>();
  const badString = (field: string, at: number, offset: number): never =>
    fail('string offset does not point at a string', { field, offset: at, actual: offset });
  const text = (offset: number, field: string, at: number): string => {
    let value = decoded.get(offset);
    if (value === undefined) {
      value = btf.strings.tryAt(offset);
      if (value === undefined) badString(field, at, offset);
      decoded.set(offset, value as string);
    }
    return value as string;
  };

  // Access strings already checked, by string offset.
  const accesses = new Set<number>();
  const sizes = { funcInfo: 0, lineInfo: 0, coreRelo: 0 };
  const funcInfo = new Map<string, FuncInfo[]>();
  const lineRecords = new Map<string, number[]>();
  const coreRelos = new Map<string, CoreRelo[]>();

  for (const part of parts) {
    if (part.headerField + 8 > headerLength) continue;
    const start = headerLength + view.getUint32(part.headerField, le);
    const length = view.getUint32(part.headerField + 4, le);
    if (length === 0) continue;
    if (start + length > bytes.length) {
      fail(`${part.name} runs past the end of the blob`, {
        field: `${part.name}_off`,
        offset: part.headerField,
        expected: `end ≤ ${bytes.length}`,
        actual: `end ${start + length}`,
      });
    }
    const end = start + length;
    if (length < 4) fail(`${part.name} has no record size`, { field: part.name, offset: start });
    const recordSize = view.getUint32(start, le);
    if (recordSize < part.minRecordSize || recordSize % 4 !== 0) {
      fail(`${part.name} record size is invalid`, {
        field: `${part.name} rec_size`,
        offset: start,
        expected: `a multiple of 4, ≥ ${part.minRecordSize}`,
        actual: recordSize,
      });
    }
    let at = start + 4;
    while (at < end) {
      if (at + 8 > end) fail(`${part.name} block header is truncated`, { field: part.name, offset: at });
      const sectionName = text(view.getUint32(at, le), `${part.name} sec_name_off`, at);
      const count = view.getUint32(at + 4, le);
      at += 8;
      if (count * recordSize > end - at) {
        fail(`${part.name} block for '${sectionName}' has more records than fit`, {
          field: `${part.name} num_info`,
          offset: at - 4,
          expected: `≤ ${Math.floor((end - at) / recordSize)}`,
          actual: count,
        });
      }
      // Each list looked up once per block (a block holds one section's records of one part).
      const funcs = part.name === 'func_info' && count > 0 ? listOf(funcInfo, sectionName) : [];
      const lines = part.name === 'line_info' && count > 0 ? lineList(lineRecords, sectionName, count) : [];
      const relos = part.name === 'core_relo' && count > 0 ? listOf(coreRelos, sectionName) : [];
      for (let i = 0; i < count; i++, at += recordSize) {
        if (part.name === 'func_info') {
          funcs.push({ insnOffset: view.getUint32(at, le), typeId: view.getUint32(at + 4, le) });
        } else if (part.name === 'line_info') {
          // Checked here, decoded when asked for (libbpf reads line info only to load).
          const fileNameOffset = view.getUint32(at + 4, le);
          if (!btf.strings.has(fileNameOffset)) badString('line_info file_name_off', at + 4, fileNameOffset);
          const sourceOffset = view.getUint32(at + 8, le);
          if (!btf.strings.has(sourceOffset)) badString('line_info line_off', at + 8, sourceOffset);
          lines[lines.length - count + i] = at;
        } else {
          const typeId = view.getUint32(at + 4, le);
          const accessStringOffset = view.getUint32(at + 8, le);
          const accessString = text(accessStringOffset, 'core_relo access_str_off', at + 8);
          const kind = view.getUint32(at + 12, le);
          if (kind > LAST_CORE_RELO_KIND) {
            fail(`CO-RE relocation in '${sectionName}' has an unknown kind`, {
              field: 'core_relo kind',
              offset: at + 12,
              expected: `0..${LAST_CORE_RELO_KIND}`,
              actual: kind,
            });
          }
          if (typeId >= btf.typeCount) {
            fail(`CO-RE relocation in '${sectionName}' names a type the BTF does not have`, {
              field: 'core_relo type_id',
              offset: at + 4,
              expected: `< ${btf.typeCount}`,
              actual: typeId,
            });
          }
          if (!accesses.has(accessStringOffset)) {
            const problem = accessProblem(accessString);
            if (problem !== undefined) {
              fail(`CO-RE access string '${accessString.slice(0, 40)}' in '${sectionName}' ${problem}`, {
                field: 'core_relo access_str_off',
                offset: at + 8,
                expected: 'indexes such as 0:1:2',
                actual: JSON.stringify(accessString.slice(0, 40)),
              });
            }
            accesses.add(accessStringOffset);
          }
          relos.push({
            insnOffset: view.getUint32(at, le),
            typeId,
            accessString,
            accessStringOffset,
            kind,
          });
        }
      }
    }
    if (part.name === 'func_info') sizes.funcInfo = recordSize;
    else if (part.name === 'line_info') sizes.lineInfo = recordSize;
    else sizes.coreRelo = recordSize;
  }
  const records = new LineRecords(view, le, btf.strings, lineRecords);
  const ext = { funcInfo } as Partial<BtfExt> as { -readonly [K in keyof BtfExt]: BtfExt[K] };
  // Decoded on first read: opening an object reads line records without their strings.
  Object.defineProperty(ext, 'lineInfo', lineInfoProperty);
  ext.coreRelos = coreRelos;
  ext.recordSizes = sizes;
  keepLineRecords(ext, records);
  return ext;
}

/**
 * `lineInfo` of a `BtfExt` that `parseBtfExt` made: its line records decoded on first read.
 * One getter serves every object. With a getter written in the object literal instead,
 * what each parse made outlived V8's young collections (Node 20): in a loop of parses the
 * heap grew by megabytes between collections and each scavenge took ~10 ms, not ~0.5 ms.
 */
const lineInfoProperty: PropertyDescriptor = {
  enumerable: true,
  configurable: true,
  get(this: BtfExt): ReadonlyMap<string, readonly LineInfo[]> {
    return (lineRecordsOf(this) as LineRecords).decoded();
  },
};

/**
 * The list under `key` grown by `count` slots, for a block of that many line records: made
 * at its length for a section's first block (a section has one block as compilers write it).
 */
function lineList(map: Map<string, number[]>, key: string, count: number): number[] {
  const list = map.get(key);
  if (list === undefined) {
    const made = new Array<number>(count);
    map.set(key, made);
    return made;
  }
  list.length += count;
  return list;
}

/** The list under `key`, made empty when there is none. */
function listOf<T>(map: Map<string, T[]>, key: string): T[] {
  let list = map.get(key);
  if (list === undefined) {
    list = [];
    map.set(key, list);
  }
  return list;
}
