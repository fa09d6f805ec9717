import { BtfKind } from './kinds.js';

/** Size of `struct btf_type`. */
export const TYPE_HEADER_SIZE = 12;

/** Bytes that follow the 12-byte `btf_type` header for `kind` with `vlen` entries, or -1 for an unknown kind. */
export function extraSize(kind: number, vlen: number): number {
  switch (kind) {
    case BtfKind.INT:
    case BtfKind.VAR:
    case BtfKind.DECL_TAG:
      return 4;
    case BtfKind.ARRAY:
      return 12;
    case BtfKind.STRUCT:
    case BtfKind.UNION:
    case BtfKind.DATASEC:
    case BtfKind.ENUM64:
      return vlen * 12;
    case BtfKind.ENUM:
    case BtfKind.FUNC_PROTO:
      return vlen * 8;
    case BtfKind.PTR:
    case BtfKind.FWD:
    case BtfKind.TYPEDEF:
    case BtfKind.VOLATILE:
    case BtfKind.CONST:
    case BtfKind.RESTRICT:
    case BtfKind.FUNC:
    case BtfKind.FLOAT:
    case BtfKind.TYPE_TAG:
      return 0;
    default:
      return -1;
  }
}

/** `BTF_INFO_KIND(info)`. */
export function infoKind(info: number): number {
  return (info >>> 24) & 0x1f;
}

/** `BTF_INFO_VLEN(info)`. */
export function infoVlen(info: number): number {
  return info & 0xffff;
}

/** `BTF_INFO_KFLAG(info)`. */
export function infoKindFlag(info: number): boolean {
  return info >>> 31 === 1;
}

/** Builds `btf_type.info` from its parts. */
export function makeInfo(kind: number, vlen: number, kindFlag: boolean): number {
  return ((kindFlag ? 0x80000000 : 0) | ((kind & 0x1f) << 24) | (vlen & 0xffff)) >>> 0;
}
