/** A member of a struct or union. */
export interface BtfMember {
  /** Member name; "" for anonymous members. */
  readonly name: string;
  /** Offset of the name in the string section: set on decoded types, lets the encoder reuse the original string. */
  readonly nameOffset?: number;
  /** Member type id. */
  readonly type: number;
  /** Offset from the start of the struct, in bits. */
  readonly bitOffset: number;
  /** Bitfield width in bits, 0 when the member is not a bitfield. */
  readonly bitfieldSize: number;
}

/** A parameter of a function prototype; `type` 0 as the last one means `...`. */
export interface BtfParam {
  /** Parameter name, often "" in prototypes. */
  readonly name: string;
  /** Offset of the name in the string section: set on decoded types, lets the encoder reuse the original string. */
  readonly nameOffset?: number;
  /** Parameter type id. */
  readonly type: number;
}

/** An enumerator of a 32-bit enum. */
export interface BtfEnumValue {
  /** Enumerator name. */
  readonly name: string;
  /** Offset of the name in the string section: set on decoded types, lets the encoder reuse the original string. */
  readonly nameOffset?: number;
  /** Value, read as signed when the enum is signed. */
  readonly value: number;
}

/** An enumerator of a 64-bit enum. */
export interface BtfEnum64Value {
  /** Enumerator name. */
  readonly name: string;
  /** Offset of the name in the string section: set on decoded types, lets the encoder reuse the original string. */
  readonly nameOffset?: number;
  /** Value, read as signed when the enum is signed. */
  readonly value: bigint;
}

/** One variable of a DATASEC. */
export interface BtfVarSecinfo {
  /** The VAR (or FUNC, for `.ksyms`) type id. */
  readonly type: number;
  /** Byte offset inside the section. */
  readonly offset: number;
  /** Size in bytes. */
  readonly size: number;
}

interface Base {
  /** Type id (0 is `void`). */
  readonly id: number;
  /** Name; "" for anonymous types. */
  readonly name: string;
  /** Offset of the name in the string section: set on decoded types, lets the encoder reuse the original string. */
  readonly nameOffset?: number;
}

/** `void` (type id 0). */
export interface BtfVoid extends Base {
  /** The BTF kind (`BTF_KIND_*`), lower-cased: the field to switch on. */
  readonly kind: 'void';
}

/** An integer type. */
export interface BtfInt extends Base {
  /** The BTF kind (`BTF_KIND_*`), lower-cased: the field to switch on. */
  readonly kind: 'int';
  /** Storage size in bytes. */
  readonly size: number;
  /** Number of value bits. */
  readonly bits: number;
  /** Bit offset of the value inside the storage (old-style bitfields). */
  readonly bitOffset: number;
  /** `BTF_INT_*` encoding bits: signed, char, bool. */
  readonly encoding: number;
}

/** A pointer. */
export interface BtfPtr extends Base {
  /** The BTF kind (`BTF_KIND_*`), lower-cased: the field to switch on. */
  readonly kind: 'ptr';
  /** Pointee type id. */
  readonly type: number;
}

/** An array. */
export interface BtfArray extends Base {
  /** The BTF kind (`BTF_KIND_*`), lower-cased: the field to switch on. */
  readonly kind: 'array';
  /** Element type id. */
  readonly type: number;
  /** Index type id. */
  readonly indexType: number;
  /** Number of elements. */
  readonly length: number;
}

/** A struct or union. */
export interface BtfComposite extends Base {
  /** The BTF kind (`BTF_KIND_*`), lower-cased: the field to switch on. */
  readonly kind: 'struct' | 'union';
  /** Size in bytes. */
  readonly size: number;
  /** True when member offsets carry bitfield sizes (`kind_flag`). */
  readonly bitfieldEncoding: boolean;
  /** Members in declaration order. */
  readonly members: readonly BtfMember[];
}

/** A 32-bit enum. */
export interface BtfEnum extends Base {
  /** The BTF kind (`BTF_KIND_*`), lower-cased: the field to switch on. */
  readonly kind: 'enum';
  /** Size in bytes (1, 2, 4 or 8). */
  readonly size: number;
  /** True when values are signed (`kind_flag`). */
  readonly signed: boolean;
  /** Enumerators. */
  readonly values: readonly BtfEnumValue[];
}

/** A 64-bit enum. */
export interface BtfEnum64 extends Base {
  /** The BTF kind (`BTF_KIND_*`), lower-cased: the field to switch on. */
  readonly kind: 'enum64';
  /** Size in bytes. */
  readonly size: number;
  /** True when values are signed (`kind_flag`). */
  readonly signed: boolean;
  /** Enumerators. */
  readonly values: readonly BtfEnum64Value[];
}

/** A forward declaration. */
export interface BtfFwd extends Base {
  /** The BTF kind (`BTF_KIND_*`), lower-cased: the field to switch on. */
  readonly kind: 'fwd';
  /** True for `union X;`, false for `struct X;` (`kind_flag`). */
  readonly union: boolean;
}

/** A typedef or a qualifier: a name or qualifier on another type. */
export interface BtfReference extends Base {
  /** The BTF kind (`BTF_KIND_*`), lower-cased: the field to switch on. */
  readonly kind: 'typedef' | 'volatile' | 'const' | 'restrict';
  /** The type referred to. */
  readonly type: number;
}

/** A type tag (`btf_type_tag`), an annotation on a pointee type. */
export interface BtfTypeTag extends Base {
  /** The BTF kind (`BTF_KIND_*`), lower-cased: the field to switch on. */
  readonly kind: 'type_tag';
  /** The tagged type. */
  readonly type: number;
  /** True when the tag is a C attribute (`kind_flag`, kernel 6.14+) rather than a `btf_type_tag`. */
  readonly attribute: boolean;
}

/** A function. */
export interface BtfFunc extends Base {
  /** The BTF kind (`BTF_KIND_*`), lower-cased: the field to switch on. */
  readonly kind: 'func';
  /** Its FUNC_PROTO. */
  readonly type: number;
  /** `FuncLinkage`: static, global or extern. */
  readonly linkage: number;
}

/** A function prototype. */
export interface BtfFuncProto extends Base {
  /** The BTF kind (`BTF_KIND_*`), lower-cased: the field to switch on. */
  readonly kind: 'func_proto';
  /** Return type id (0 for `void`). */
  readonly returnType: number;
  /** Parameters. */
  readonly params: readonly BtfParam[];
}

/** A variable. */
export interface BtfVar extends Base {
  /** The BTF kind (`BTF_KIND_*`), lower-cased: the field to switch on. */
  readonly kind: 'var';
  /** Variable type id. */
  readonly type: number;
  /** `VarLinkage`: static, global allocated or extern. */
  readonly linkage: number;
}

/** A data section and the variables in it. */
export interface BtfDatasec extends Base {
  /** The BTF kind (`BTF_KIND_*`), lower-cased: the field to switch on. */
  readonly kind: 'datasec';
  /** Section size in bytes (clang leaves 0; fixed up before loading). */
  readonly size: number;
  /** Variables in the section. */
  readonly vars: readonly BtfVarSecinfo[];
}

/** A floating-point type. */
export interface BtfFloat extends Base {
  /** The BTF kind (`BTF_KIND_*`), lower-cased: the field to switch on. */
  readonly kind: 'float';
  /** Size in bytes. */
  readonly size: number;
}

/** An attribute attached to a type, a member or a parameter. */
export interface BtfDeclTag extends Base {
  /** The BTF kind (`BTF_KIND_*`), lower-cased: the field to switch on. */
  readonly kind: 'decl_tag';
  /** The tagged type. */
  readonly type: number;
  /** -1 for the type itself, else the member or parameter index. */
  readonly componentIndex: number;
  /** True when the tag is a C attribute (`kind_flag`, kernel 6.14+) rather than a `btf_decl_tag`. */
  readonly attribute: boolean;
}

/** Any decoded BTF type; narrow on `kind`. */
export type BtfType =
  | BtfVoid
  | BtfInt
  | BtfPtr
  | BtfArray
  | BtfComposite
  | BtfEnum
  | BtfEnum64
  | BtfFwd
  | BtfReference
  | BtfTypeTag
  | BtfFunc
  | BtfFuncProto
  | BtfVar
  | BtfDatasec
  | BtfFloat
  | BtfDeclTag;
