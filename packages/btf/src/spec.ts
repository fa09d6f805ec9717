import { decodeRecord, type RecordSource } from './decode.js';
import { BtfError } from './errors.js';
import { type BtfHeader, readBtfHeader } from './header.js';
import { type BtfKindName, kindNames, kindNumber } from './kinds.js';
import { infoKind } from './records.js';
import { scanTypes } from './scan.js';
import { BtfStrings } from './strings.js';
import type { BtfType } from './types.js';
import { encodeUtf8 } from './utf8.js';

/** Options for {@link parseBtf}. */
export interface ParseBtfOptions {
  /** A name for the blob's origin (object or file), carried by every error. */
  readonly name?: string;
  /** For split BTF (kernel modules): the base it extends; ids and string offsets continue from it. */
  readonly base?: Btf;
}

const voidType: BtfType = { id: 0, kind: 'void', name: '', nameOffset: 0 };

/**
 * Parsed BTF. Parsing scans the type section once, recording where each type starts;
 * types are decoded into objects on first use and cached, names are decoded on demand.
 */
export class Btf {
  /** The decoded header. */
  readonly header: BtfHeader;
  /** The blob this was parsed from (aliased, not copied). */
  readonly bytes: Uint8Array;
  /** Strings, including the base's for split BTF. */
  readonly strings: BtfStrings;
  /** The base BTF for split BTF. */
  readonly base: Btf | undefined;
  /** The origin given at parse time. */
  readonly name: string | undefined;
  /** The first id this blob defines: 1, or the base's type count for split BTF. */
  readonly firstId: number;
  private readonly view: DataView;
  private readonly offsets: Uint32Array;
  private readonly decoded: (BtfType | undefined)[];
  private nameIndex: Map<string, number[]> | undefined;
  private scannedOnce = false;
  private readonly recordSource: RecordSource;

  /** @internal use {@link parseBtf} */
  constructor(bytes: Uint8Array, options: ParseBtfOptions = {}) {
    this.bytes = bytes;
    this.name = options.name;
    this.base = options.base;
    this.header = readBtfHeader(bytes, options.name);
    if (this.base !== undefined && this.base.littleEndian !== this.header.littleEndian) {
      throw new BtfError('bad-header', 'split BTF has a different byte order from its base', {
        ...(options.name === undefined ? {} : { object: options.name }),
        offset: 0,
        expected: this.base.littleEndian ? 'little-endian' : 'big-endian',
        actual: this.header.littleEndian ? 'little-endian' : 'big-endian',
      });
    }
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const start = this.header.headerLength;
    this.strings = new BtfStrings(
      bytes.subarray(start + this.header.stringOffset, start + this.header.stringOffset + this.header.stringLength),
      this.base?.strings,
    );
    if (this.base === undefined && this.header.stringLength > 0 && bytes[start + this.header.stringOffset] !== 0) {
      throw new BtfError('bad-string', 'the string section must start with an empty string', {
        ...(options.name === undefined ? {} : { object: options.name }),
        offset: start + this.header.stringOffset,
      });
    }
    this.firstId = this.base === undefined ? 1 : this.base.typeCount;
    this.offsets = scanTypes(
      this.view,
      start + this.header.typeOffset,
      this.header.typeLength,
      this.header.littleEndian,
      this.firstId,
      options.name,
    );
    this.decoded = new Array(this.offsets.length);
    this.recordSource = {
      view: this.view,
      littleEndian: this.littleEndian,
      strings: this.strings,
      typeCount: this.typeCount,
      object: this.name,
    };
  }

  /** True when the blob is little-endian. */
  get littleEndian(): boolean {
    return this.header.littleEndian;
  }

  /** One past the largest type id, counting `void` and any base types. */
  get typeCount(): number {
    return this.firstId + this.offsets.length;
  }

  /** True when `id` names a type here or in the base (`void` included). */
  has(id: number): boolean {
    return Number.isInteger(id) && id >= 0 && id < this.typeCount;
  }

  /**
   * The type with `id`, decoded on first use.
   * @throws {@link BtfError} `bad-type-id` for an id that does not exist, or a decode error.
   */
  type(id: number): BtfType {
    if (id === 0) return voidType;
    if (id < this.firstId && this.base !== undefined) return this.base.type(id);
    const index = id - this.firstId;
    if (!Number.isInteger(id) || index < 0 || index >= this.offsets.length) {
      throw new BtfError('bad-type-id', 'no type has this id', {
        ...this.where(),
        typeId: id,
        expected: `< ${this.typeCount}`,
        actual: id,
      });
    }
    let type = this.decoded[index];
    if (type === undefined) {
      type = decodeRecord(this.recordSource, id, this.offsets[index] as number);
      this.decoded[index] = type;
    }
    return type;
  }

  /** The kind of type `id`, read without decoding it. */
  kindOf(id: number): BtfKindName {
    if (id === 0) return 'void';
    if (id < this.firstId && this.base !== undefined) return this.base.kindOf(id);
    const offset = this.offsets[id - this.firstId];
    if (offset === undefined) return this.type(id).kind;
    return kindNames[infoKind(this.view.getUint32(offset + 4, this.littleEndian))] as BtfKindName;
  }

  /** The name of type `id`, read without decoding the rest of it. */
  nameOf(id: number): string {
    return this.type(id).name;
  }

  /**
   * The first type called `name` (of `kind`, when given), searching the base first.
   * The first lookup compares raw bytes in one pass; a name index is built on the second.
   */
  byName(name: string, kind?: BtfKindName): BtfType | undefined {
    const id = this.idsByName(name, kind)[0];
    return id === undefined ? undefined : this.type(id);
  }

  /** Every type called `name` (of `kind`, when given), in id order, base first. */
  allByName(name: string, kind?: BtfKindName): BtfType[] {
    return this.idsByName(name, kind).map((id) => this.type(id));
  }

  /** Ids of every type called `name` (of `kind`, when given), base first. */
  idsByName(name: string, kind?: BtfKindName): number[] {
    const ids = [...(this.base?.idsByName(name, kind) ?? []), ...this.ownIdsByName(name)];
    return kind === undefined ? ids : ids.filter((id) => this.kindOf(id) === kind);
  }

  /** Every type of this blob (not the base) in id order, optionally only those of `kind`. */
  *types(kind?: BtfKindName): IterableIterator<BtfType> {
    const wanted = kind === undefined ? -1 : kindNumber(kind);
    for (let index = 0; index < this.offsets.length; index++) {
      if (wanted >= 0) {
        const info = this.view.getUint32((this.offsets[index] as number) + 4, this.littleEndian);
        if (infoKind(info) !== wanted) continue;
      }
      yield this.type(this.firstId + index);
    }
  }

  /** Every type of this blob decoded, index = id − {@link firstId}. */
  decodeAll(): BtfType[] {
    const all = new Array<BtfType>(this.offsets.length);
    for (let index = 0; index < this.offsets.length; index++) all[index] = this.type(this.firstId + index);
    return all;
  }

  private ownIdsByName(name: string): number[] {
    if (this.nameIndex !== undefined) return this.nameIndex.get(name) ?? [];
    if (this.scannedOnce) {
      this.nameIndex = this.buildNameIndex();
      return this.nameIndex.get(name) ?? [];
    }
    this.scannedOnce = true;
    return this.scanForName(name);
  }

  private scanForName(name: string): number[] {
    const wanted = encodeUtf8(name);
    const ids: number[] = [];
    if (wanted.length === 0) return ids;
    for (let index = 0; index < this.offsets.length; index++) {
      const nameOffset = this.view.getUint32(this.offsets[index] as number, this.littleEndian);
      if (nameOffset !== 0 && this.strings.equals(nameOffset, wanted)) ids.push(this.firstId + index);
    }
    return ids;
  }

  private buildNameIndex(): Map<string, number[]> {
    const index = new Map<string, number[]>();
    for (let i = 0; i < this.offsets.length; i++) {
      const nameOffset = this.view.getUint32(this.offsets[i] as number, this.littleEndian);
      const name = nameOffset === 0 ? undefined : this.strings.tryAt(nameOffset);
      if (name === undefined) continue;
      const ids = index.get(name);
      if (ids === undefined) index.set(name, [this.firstId + i]);
      else ids.push(this.firstId + i);
    }
    return index;
  }

  private where(): { object?: string } {
    return this.name === undefined ? {} : { object: this.name };
  }
}

/**
 * Parses a raw BTF blob (the `.BTF` section of an object, or `/sys/kernel/btf/*`), in
 * either byte order.
 * @throws {@link BtfError} for a bad header or a type record that is unknown or truncated.
 */
export function parseBtf(bytes: Uint8Array, options: ParseBtfOptions = {}): Btf {
  return new Btf(bytes, options);
}
