import { BTF_HEADER_SIZE, BTF_MAGIC } from './header.js';
import { kindNumber } from './kinds.js';
import { extraSize, makeInfo, TYPE_HEADER_SIZE } from './records.js';
import type { Btf } from './spec.js';
import type { BtfType } from './types.js';
import { encodeUtf8 } from './utf8.js';

/**
 * A BTF string section being built. Seeded with an existing section, a string whose original
 * offset still holds it keeps that offset, so re-encoding unchanged types is byte-identical;
 * other strings are appended once each.
 */
export class BtfStringTable {
  private readonly chunks: Uint8Array[] = [];
  private readonly added = new Map<string, number>([['', 0]]);
  private length: number;

  constructor(
    private readonly seed: Uint8Array = new Uint8Array(1),
    /** Where this section's offsets start: 0, or the base's string length for split BTF. */
    private readonly firstOffset = 0,
  ) {
    this.chunks.push(seed);
    this.length = seed.length;
  }

  /** The offset of `text`, reusing `hint` when the seed holds exactly `text` there. */
  add(text: string, hint?: number): number {
    if (text === '') return 0;
    if (hint !== undefined && this.seedHolds(hint, text)) return hint;
    const known = this.added.get(text);
    if (known !== undefined) return known;
    const bytes = encodeUtf8(text);
    const offset = this.firstOffset + this.length;
    const entry = new Uint8Array(bytes.length + 1);
    entry.set(bytes);
    this.chunks.push(entry);
    this.length += entry.length;
    this.added.set(text, offset);
    return offset;
  }

  /** The finished section. */
  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }

  /** True when the seed holds exactly `text` at `offset`; ASCII is compared without encoding. */
  private seedHolds(hint: number, text: string): boolean {
    const seed = this.seed;
    const offset = hint - this.firstOffset;
    if (offset <= 0 || offset + text.length >= seed.length) return false;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code >= 0x80) return this.seedHoldsBytes(offset, encodeUtf8(text));
      if (seed[offset + i] !== code) return false;
    }
    return seed[offset + text.length] === 0;
  }

  private seedHoldsBytes(offset: number, bytes: Uint8Array): boolean {
    const seed = this.seed;
    // `offset` is already local to the seed (see seedHolds).
    if (offset + bytes.length >= seed.length) return false;
    for (let i = 0; i < bytes.length; i++) if (seed[offset + i] !== bytes[i]) return false;
    return seed[offset + bytes.length] === 0;
  }
}

/** Options for {@link encodeBtf}. */
export interface EncodeBtfOptions {
  /** Byte order to write; little-endian by default. */
  readonly littleEndian?: boolean;
  /** String table to write names into; pass one seeded with the original section to keep offsets. */
  readonly strings?: BtfStringTable;
  /**
   * For split BTF (a module's, on top of vmlinux): the base it extends. Type ids then start
   * at the base's type count and string offsets after the base's strings, whose empty string
   * (offset 0) this blob reuses.
   */
  readonly base?: {
    /** The base's string section. */
    readonly strings: {
      /** Its size: the first string offset this blob may use. */
      readonly end: number;
    };
  };
}

function vlenOf(type: BtfType): number {
  switch (type.kind) {
    case 'struct':
    case 'union':
      return type.members.length;
    case 'enum':
    case 'enum64':
      return type.values.length;
    case 'func_proto':
      return type.params.length;
    case 'datasec':
      return type.vars.length;
    case 'func':
      return type.linkage;
    default:
      return 0;
  }
}

function kindFlagOf(type: BtfType): boolean {
  switch (type.kind) {
    case 'struct':
    case 'union':
      return type.bitfieldEncoding;
    case 'enum':
    case 'enum64':
      return type.signed;
    case 'fwd':
      return type.union;
    case 'type_tag':
    case 'decl_tag':
      return type.attribute;
    default:
      return false;
  }
}

/**
 * Serialises types into a raw BTF blob. `types[i]` becomes type id `i + 1` (their `id`
 * fields are not consulted); references between them are written as given.
 */
export function encodeBtf(types: readonly BtfType[], options: EncodeBtfOptions = {}): Uint8Array {
  return encodeTypes(types, options);
}

/** Types whose records already exist, encoded: copied as they are instead of written field by field. */
interface KeptRecords {
  /** Whether `types[index]` is written as an existing record. */
  kept(index: number): boolean;
  /** The records of `types[first]` to `types[last]`, all kept, end to end in the output's byte order, names valid in its string table. */
  span(first: number, last: number): Uint8Array;
}

/**
 * {@link encodeBtf}, except that each run of consecutive types `records` keeps is copied
 * as one span of existing bytes instead of being encoded field by field.
 */
function encodeTypes(types: readonly BtfType[], options: EncodeBtfOptions, records?: KeptRecords): Uint8Array {
  const le = options.littleEndian ?? true;
  const base = options.base;
  const strings =
    options.strings ?? (base ? new BtfStringTable(new Uint8Array(0), base.strings.end) : new BtfStringTable());
  // Each run of kept types, by the index it starts at: its bytes and the index after it.
  const runs = new Map<number, { readonly bytes: Uint8Array; readonly next: number }>();
  let typeLength = 0;
  for (let index = 0; index < types.length; ) {
    let next = index;
    while (next < types.length && records?.kept(next)) next++;
    if (next > index) {
      const bytes = (records as KeptRecords).span(index, next - 1);
      runs.set(index, { bytes, next });
      typeLength += bytes.length;
      index = next;
      continue;
    }
    const type = types[index] as BtfType;
    typeLength += TYPE_HEADER_SIZE + extraSize(kindNumber(type.kind), vlenOf(type));
    index++;
  }
  const typeBytes = new Uint8Array(typeLength);
  const view = new DataView(typeBytes.buffer);
  let at = 0;
  for (let index = 0; index < types.length; ) {
    const run = runs.get(index);
    if (run === undefined) {
      at = writeType(view, at, types[index] as BtfType, strings, le);
      index++;
    } else {
      typeBytes.set(run.bytes, at);
      at += run.bytes.length;
      index = run.next;
    }
  }
  const stringBytes = strings.finish();

  const out = new Uint8Array(BTF_HEADER_SIZE + typeLength + stringBytes.length);
  const header = new DataView(out.buffer);
  header.setUint16(0, BTF_MAGIC, le);
  header.setUint8(2, 1);
  header.setUint8(3, 0);
  header.setUint32(4, BTF_HEADER_SIZE, le);
  header.setUint32(8, 0, le);
  header.setUint32(12, typeLength, le);
  header.setUint32(16, typeLength, le);
  header.setUint32(20, stringBytes.length, le);
  out.set(typeBytes, BTF_HEADER_SIZE);
  out.set(stringBytes, BTF_HEADER_SIZE + typeLength);
  return out;
}

function writeType(view: DataView, at: number, type: BtfType, strings: BtfStringTable, le: boolean): number {
  const kind = kindNumber(type.kind);
  const vlen = vlenOf(type);
  view.setUint32(at, strings.add(type.name, type.nameOffset), le);
  view.setUint32(at + 4, makeInfo(kind, vlen, kindFlagOf(type)), le);
  const body = at + TYPE_HEADER_SIZE;
  switch (type.kind) {
    case 'void':
      break;
    case 'int':
      view.setUint32(at + 8, type.size, le);
      view.setUint32(body, ((type.encoding << 24) | (type.bitOffset << 16) | type.bits) >>> 0, le);
      break;
    case 'ptr':
    case 'typedef':
    case 'volatile':
    case 'const':
    case 'restrict':
    case 'type_tag':
    case 'func':
      view.setUint32(at + 8, type.type, le);
      break;
    case 'array':
      view.setUint32(body, type.type, le);
      view.setUint32(body + 4, type.indexType, le);
      view.setUint32(body + 8, type.length, le);
      break;
    case 'struct':
    case 'union':
      view.setUint32(at + 8, type.size, le);
      type.members.forEach((m, i) => {
        const m0 = body + i * 12;
        view.setUint32(m0, strings.add(m.name, m.nameOffset), le);
        view.setUint32(m0 + 4, m.type, le);
        const offset = type.bitfieldEncoding ? ((m.bitfieldSize << 24) | m.bitOffset) >>> 0 : m.bitOffset;
        view.setUint32(m0 + 8, offset, le);
      });
      break;
    case 'enum':
      view.setUint32(at + 8, type.size, le);
      type.values.forEach((v, i) => {
        view.setUint32(body + i * 8, strings.add(v.name, v.nameOffset), le);
        view.setUint32(body + i * 8 + 4, v.value >>> 0, le);
      });
      break;
    case 'enum64':
      view.setUint32(at + 8, type.size, le);
      type.values.forEach((v, i) => {
        const raw = BigInt.asUintN(64, v.value);
        view.setUint32(body + i * 12, strings.add(v.name, v.nameOffset), le);
        view.setUint32(body + i * 12 + 4, Number(raw & 0xffffffffn), le);
        view.setUint32(body + i * 12 + 8, Number(raw >> 32n), le);
      });
      break;
    case 'fwd':
      break;
    case 'func_proto':
      view.setUint32(at + 8, type.returnType, le);
      type.params.forEach((p, i) => {
        view.setUint32(body + i * 8, strings.add(p.name, p.nameOffset), le);
        view.setUint32(body + i * 8 + 4, p.type, le);
      });
      break;
    case 'var':
      view.setUint32(at + 8, type.type, le);
      view.setUint32(body, type.linkage, le);
      break;
    case 'datasec':
      view.setUint32(at + 8, type.size, le);
      type.vars.forEach((v, i) => {
        view.setUint32(body + i * 12, v.type, le);
        view.setUint32(body + i * 12 + 4, v.offset, le);
        view.setUint32(body + i * 12 + 8, v.size, le);
      });
      break;
    case 'float':
      view.setUint32(at + 8, type.size, le);
      break;
    case 'decl_tag':
      view.setUint32(at + 8, type.type, le);
      view.setInt32(body, type.componentIndex, le);
      break;
  }
  return body + extraSize(kind, vlen);
}

/** Types without an id, as given to {@link BtfBuilder.add}. */
export type BtfTypeDraft = BtfType extends infer T ? (T extends BtfType ? Omit<T, 'id'> : never) : never;

/**
 * Builds BTF from scratch: add types (ids are handed out from 1, or after the base's types
 * for split BTF), then {@link encode}.
 */
export class BtfBuilder {
  private readonly types: BtfType[] = [];

  constructor(
    /** For split BTF: the base it extends (see {@link EncodeBtfOptions.base}); types may refer to the base's ids. */
    private readonly base?: { readonly typeCount: number; readonly strings: { readonly end: number } },
  ) {}

  /** Adds a type and returns its id. */
  add(draft: BtfTypeDraft): number {
    const id = (this.base?.typeCount ?? 1) + this.types.length;
    this.types.push({ ...draft, id } as BtfType);
    return id;
  }

  /** Serialises everything added so far. */
  encode(options: EncodeBtfOptions = {}): Uint8Array {
    return encodeBtf(this.types, { ...(this.base === undefined ? {} : { base: this.base }), ...options });
  }
}

/**
 * What {@link reencode} returns for `original`'s types with those in `replaced` (by id) put
 * in, made as a copy of the blob with those records written over: the same bytes, without
 * decoding or copying type by type. `undefined` when the copy would not be those bytes:
 * split BTF, a blob not laid out as the encoder lays one out (a 24-byte header, the types,
 * then the strings), a replacement whose record has another size, or a replacement naming a
 * string the section does not hold at its name offset.
 */
export function patchRecords(original: Btf, replaced: ReadonlyMap<number, BtfType>): Uint8Array | undefined {
  const header = original.header;
  const encoderLayout =
    header.version === 1 &&
    header.flags === 0 &&
    header.headerLength === BTF_HEADER_SIZE &&
    header.typeOffset === 0 &&
    header.stringOffset === header.typeLength;
  if (original.base !== undefined || !encoderLayout) return undefined;
  const out = original.bytes.slice(0, BTF_HEADER_SIZE + header.typeLength + header.stringLength);
  const view = new DataView(out.buffer);
  const strings = new BtfStringTable(original.strings.bytes);
  for (const [id, type] of replaced) {
    const record = original.recordSpan(id, id);
    if (TYPE_HEADER_SIZE + extraSize(kindNumber(type.kind), vlenOf(type)) !== record.length) return undefined;
    writeType(view, record.byteOffset - original.bytes.byteOffset, type, strings, original.littleEndian);
  }
  return strings.finish().length === header.stringLength ? out : undefined;
}

/**
 * Re-encodes a parsed blob's own types, reusing its string section (byte-identical when
 * unchanged). A type that is still the object `original` decoded for its id is copied from
 * the blob's records rather than encoded again, each run of such types in one copy: a
 * fix-up that edits a few DATASECs in an object's BTF encodes only those.
 */
export function reencode(types: readonly BtfType[], original: Btf): Uint8Array {
  const own = original.base === undefined ? original.typeCount - 1 : 0;
  return encodeTypes(
    types,
    { littleEndian: original.littleEndian, strings: new BtfStringTable(original.strings.bytes) },
    {
      kept: (index) => index < own && original.decodedAs(index + 1, types[index] as BtfType),
      span: (first, last) => original.recordSpan(first + 1, last + 1),
    },
  );
}
