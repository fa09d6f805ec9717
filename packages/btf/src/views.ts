import { kindNames } from './kinds.js';
import type { RecordSource } from './record-source.js';
import { infoKind, infoKindFlag } from './records.js';
import type {
  BtfArray,
  BtfComposite,
  BtfDatasec,
  BtfDeclTag,
  BtfEnum,
  BtfEnum64,
  BtfEnum64Value,
  BtfEnumValue,
  BtfFloat,
  BtfFunc,
  BtfFuncProto,
  BtfFwd,
  BtfInt,
  BtfMember,
  BtfParam,
  BtfPtr,
  BtfReference,
  BtfTypeTag,
  BtfVar,
  BtfVarSecinfo,
} from './types.js';

// A decoded type is a view on its record: fields are read from the type section's words
// when asked for, names and member lists are decoded once on first use. Creating a view
// costs one small object, which is what lets all of vmlinux be walked in milliseconds.
// Records are checked (names, type ids) before a view is made, so getters cannot fail.

/** Fields shared by every view: where the record is and its name. */
/**
 * Marks views across copies of this package (ESM and CJS builds can both be loaded, and a
 * view made by one is handed to the other): `instanceof` would miss them.
 */
const viewBrand = Symbol.for('@bpfkit/btf-view');

abstract class TypeView {
  // Fields are declared, then assigned in the constructor: class field initialisers would
  // define each property on every instance, which costs more than the rest of decoding.
  // A view holds two fields (the record's place is looked up from its id) and gains its
  // caches only when they are first filled: a full walk of vmlinux keeps 126k views alive,
  // and V8 keeps two-field objects several times cheaper than three-field ones.
  declare protected readonly source: RecordSource;
  declare readonly id: number;
  declare private cachedName?: string;
  declare protected cachedList?: readonly unknown[];

  constructor(source: RecordSource, id: number) {
    this.source = source;
    this.id = id;
  }

  /** Word index of the record in {@link RecordSource.words} (a method: getters are the public fields). */
  protected word(): number {
    return this.source.starts[this.id - this.source.firstId] as number;
  }

  /** Always true: tells {@link plainType} this is a view, whichever copy of the package made it. */
  get [viewBrand](): true {
    return true;
  }

  get nameOffset(): number {
    return this.source.words[this.word()] as number;
  }

  get name(): string {
    this.cachedName ??= this.source.strings.tryAt(this.nameOffset) ?? '';
    return this.cachedName;
  }

  /** The plain-object form (what `JSON.stringify` and object spread should see). */
  toJSON(): object {
    return plainType(this);
  }

  protected at(offset: number): number {
    return this.source.words[this.word() + offset] as number;
  }

  protected kindFlag(): boolean {
    return infoKindFlag(this.at(1));
  }

  protected text(offset: number): string {
    return offset === 0 ? '' : (this.source.strings.tryAt(offset) ?? '');
  }
}

/** Views whose body is a list (members, enumerators, parameters, section entries), decoded once. */
abstract class ListView<T> extends TypeView {
  protected list(stride: number, read: (word: number) => T): readonly T[] {
    if (this.cachedList === undefined) {
      const count = this.at(1) & 0xffff;
      const list = new Array<T>(count);
      const first = this.word() + 3;
      for (let i = 0; i < count; i++) list[i] = read(first + i * stride);
      this.cachedList = list;
    }
    return this.cachedList as readonly T[];
  }
}

export class IntView extends TypeView implements BtfInt {
  get kind(): 'int' {
    return 'int';
  }
  get size(): number {
    return this.at(2);
  }
  get bits(): number {
    return this.at(3) & 0xff;
  }
  get bitOffset(): number {
    return (this.at(3) >>> 16) & 0xff;
  }
  get encoding(): number {
    return (this.at(3) >>> 24) & 0x0f;
  }
}

export class ReferenceView extends TypeView implements BtfReference {
  get kind(): 'typedef' | 'volatile' | 'const' | 'restrict' {
    return kindNames[infoKind(this.at(1))] as 'typedef' | 'volatile' | 'const' | 'restrict';
  }
  get type(): number {
    return this.at(2);
  }
}

export class PtrView extends TypeView implements BtfPtr {
  get kind(): 'ptr' {
    return 'ptr';
  }
  get type(): number {
    return this.at(2);
  }
}

export class ArrayView extends TypeView implements BtfArray {
  get kind(): 'array' {
    return 'array';
  }
  get type(): number {
    return this.at(3);
  }
  get indexType(): number {
    return this.at(4);
  }
  get length(): number {
    return this.at(5);
  }
}

export class CompositeView extends ListView<BtfMember> implements BtfComposite {
  get kind(): 'struct' | 'union' {
    return infoKind(this.at(1)) === 4 ? 'struct' : 'union';
  }
  get size(): number {
    return this.at(2);
  }
  get bitfieldEncoding(): boolean {
    return this.kindFlag();
  }
  get members(): readonly BtfMember[] {
    const words = this.source.words;
    const bitfields = this.kindFlag();
    return this.list(3, (w) => {
      const nameOffset = words[w] as number;
      const offset = words[w + 2] as number;
      return {
        name: this.text(nameOffset),
        nameOffset,
        type: words[w + 1] as number,
        bitOffset: bitfields ? offset & 0xffffff : offset,
        bitfieldSize: bitfields ? offset >>> 24 : 0,
      };
    });
  }
}

export class EnumView extends ListView<BtfEnumValue> implements BtfEnum {
  get kind(): 'enum' {
    return 'enum';
  }
  get size(): number {
    return this.at(2);
  }
  get signed(): boolean {
    return this.kindFlag();
  }
  get values(): readonly BtfEnumValue[] {
    const words = this.source.words;
    const signed = this.kindFlag();
    return this.list(2, (w) => {
      const nameOffset = words[w] as number;
      const raw = words[w + 1] as number;
      return { name: this.text(nameOffset), nameOffset, value: signed ? raw | 0 : raw };
    });
  }
}

export class Enum64View extends ListView<BtfEnum64Value> implements BtfEnum64 {
  get kind(): 'enum64' {
    return 'enum64';
  }
  get size(): number {
    return this.at(2);
  }
  get signed(): boolean {
    return this.kindFlag();
  }
  get values(): readonly BtfEnum64Value[] {
    const words = this.source.words;
    const signed = this.kindFlag();
    return this.list(3, (w) => {
      const nameOffset = words[w] as number;
      const raw = (BigInt(words[w + 2] as number) << 32n) | BigInt(words[w + 1] as number);
      return { name: this.text(nameOffset), nameOffset, value: signed ? BigInt.asIntN(64, raw) : raw };
    });
  }
}

export class FwdView extends TypeView implements BtfFwd {
  get kind(): 'fwd' {
    return 'fwd';
  }
  get union(): boolean {
    return this.kindFlag();
  }
}

export class TypeTagView extends TypeView implements BtfTypeTag {
  get kind(): 'type_tag' {
    return 'type_tag';
  }
  get type(): number {
    return this.at(2);
  }
  get attribute(): boolean {
    return this.kindFlag();
  }
}

export class FuncView extends TypeView implements BtfFunc {
  get kind(): 'func' {
    return 'func';
  }
  get type(): number {
    return this.at(2);
  }
  get linkage(): number {
    return this.at(1) & 0xffff;
  }
}

export class FuncProtoView extends ListView<BtfParam> implements BtfFuncProto {
  get kind(): 'func_proto' {
    return 'func_proto';
  }
  get returnType(): number {
    return this.at(2);
  }
  get params(): readonly BtfParam[] {
    const words = this.source.words;
    return this.list(2, (w) => {
      const nameOffset = words[w] as number;
      return { name: this.text(nameOffset), nameOffset, type: words[w + 1] as number };
    });
  }
}

export class VarView extends TypeView implements BtfVar {
  get kind(): 'var' {
    return 'var';
  }
  get type(): number {
    return this.at(2);
  }
  get linkage(): number {
    return this.at(3);
  }
}

export class DatasecView extends ListView<BtfVarSecinfo> implements BtfDatasec {
  get kind(): 'datasec' {
    return 'datasec';
  }
  get size(): number {
    return this.at(2);
  }
  get vars(): readonly BtfVarSecinfo[] {
    const words = this.source.words;
    return this.list(3, (w) => ({
      type: words[w] as number,
      offset: words[w + 1] as number,
      size: words[w + 2] as number,
    }));
  }
}

export class FloatView extends TypeView implements BtfFloat {
  get kind(): 'float' {
    return 'float';
  }
  get size(): number {
    return this.at(2);
  }
}

export class DeclTagView extends TypeView implements BtfDeclTag {
  get kind(): 'decl_tag' {
    return 'decl_tag';
  }
  get type(): number {
    return this.at(2);
  }
  get componentIndex(): number {
    return this.at(3) | 0;
  }
  get attribute(): boolean {
    return this.kindFlag();
  }
}

const publicFields = new WeakMap<object, readonly string[]>();

/** The public getters of a view class, found once per class by walking its prototypes. */
function fieldsOf(prototype: object): readonly string[] {
  let fields = publicFields.get(prototype);
  if (fields === undefined) {
    const found = new Set<string>(['id']);
    for (let p: object | null = prototype; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
      for (const [key, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(p))) {
        if (descriptor.get !== undefined) found.add(key);
      }
    }
    fields = [...found];
    publicFields.set(prototype, fields);
  }
  return fields;
}

/**
 * A decoded type as a plain object with every field read: what to spread when editing a
 * type (object spread copies only own fields, and a decoded type reads its fields lazily).
 * Plain objects are returned as they are.
 */
export function plainType<T extends object>(type: T): T {
  if (!(viewBrand in type)) return type;
  const plain: Record<string, unknown> = {};
  for (const field of fieldsOf(Object.getPrototypeOf(type))) plain[field] = (type as Record<string, unknown>)[field];
  return plain as T;
}
