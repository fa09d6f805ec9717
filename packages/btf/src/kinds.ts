/** BTF kinds as stored in bits 24–28 of `btf_type.info` (`BTF_KIND_*`). */
export const BtfKind = {
  /** `BTF_KIND_UNKN`: only type id 0, `void`. */
  VOID: 0,
  /** `BTF_KIND_INT` */
  INT: 1,
  /** `BTF_KIND_PTR` */
  PTR: 2,
  /** `BTF_KIND_ARRAY` */
  ARRAY: 3,
  /** `BTF_KIND_STRUCT` */
  STRUCT: 4,
  /** `BTF_KIND_UNION` */
  UNION: 5,
  /** `BTF_KIND_ENUM`: 32-bit enumerators. */
  ENUM: 6,
  /** `BTF_KIND_FWD`: a forward declaration of a struct or union. */
  FWD: 7,
  /** `BTF_KIND_TYPEDEF` */
  TYPEDEF: 8,
  /** `BTF_KIND_VOLATILE` */
  VOLATILE: 9,
  /** `BTF_KIND_CONST` */
  CONST: 10,
  /** `BTF_KIND_RESTRICT` */
  RESTRICT: 11,
  /** `BTF_KIND_FUNC` */
  FUNC: 12,
  /** `BTF_KIND_FUNC_PROTO` */
  FUNC_PROTO: 13,
  /** `BTF_KIND_VAR` */
  VAR: 14,
  /** `BTF_KIND_DATASEC` */
  DATASEC: 15,
  /** `BTF_KIND_FLOAT` */
  FLOAT: 16,
  /** `BTF_KIND_DECL_TAG` */
  DECL_TAG: 17,
  /** `BTF_KIND_TYPE_TAG` */
  TYPE_TAG: 18,
  /** `BTF_KIND_ENUM64`: 64-bit enumerators. */
  ENUM64: 19,
} as const;

/** Name of a kind as used in decoded types and messages (`struct`, `func_proto`, …). */
export type BtfKindName =
  | 'void'
  | 'int'
  | 'ptr'
  | 'array'
  | 'struct'
  | 'union'
  | 'enum'
  | 'fwd'
  | 'typedef'
  | 'volatile'
  | 'const'
  | 'restrict'
  | 'func'
  | 'func_proto'
  | 'var'
  | 'datasec'
  | 'float'
  | 'decl_tag'
  | 'type_tag'
  | 'enum64';

/** Kind names indexed by kind number. */
export const kindNames: readonly BtfKindName[] = [
  'void',
  'int',
  'ptr',
  'array',
  'struct',
  'union',
  'enum',
  'fwd',
  'typedef',
  'volatile',
  'const',
  'restrict',
  'func',
  'func_proto',
  'var',
  'datasec',
  'float',
  'decl_tag',
  'type_tag',
  'enum64',
];

/** The kind number of a kind name. */
export function kindNumber(name: BtfKindName): number {
  return kindNames.indexOf(name);
}

/** `BTF_INT_*` encoding bits of an INT type. */
export const IntEncoding = {
  /** `BTF_INT_SIGNED` */
  SIGNED: 1,
  /** `BTF_INT_CHAR` */
  CHAR: 2,
  /** `BTF_INT_BOOL` */
  BOOL: 4,
} as const;

/** Linkage of a FUNC (`btf_func_linkage`). */
export const FuncLinkage = {
  /** `BTF_FUNC_STATIC` */
  STATIC: 0,
  /** `BTF_FUNC_GLOBAL` */
  GLOBAL: 1,
  /** `BTF_FUNC_EXTERN` */
  EXTERN: 2,
} as const;

/** Linkage of a VAR (`BTF_VAR_*`). */
export const VarLinkage = {
  /** `BTF_VAR_STATIC` */
  STATIC: 0,
  /** `BTF_VAR_GLOBAL_ALLOCATED` */
  GLOBAL_ALLOCATED: 1,
  /** `BTF_VAR_GLOBAL_EXTERN` */
  GLOBAL_EXTERN: 2,
} as const;
