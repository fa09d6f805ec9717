/** Size of `struct btf_type`. */
export const TYPE_HEADER_SIZE = 12;

// Words that follow the 12-byte header, per kind number: a fixed part (-1: not a record
// kind) and a part per vlen entry. INT, VAR, DECL_TAG: 1; ARRAY: 3; STRUCT, UNION,
// DATASEC, ENUM64: 3 per entry; ENUM, FUNC_PROTO: 2 per entry; the rest: none.
/**
 * Words of a record's fixed part after its header, for each of the 32 kind numbers
 * `BTF_INFO_KIND` can give (so any kind read from a record indexes it); -1 for a number
 * that is not a record kind.
 */
export const FIXED_WORDS = new Int8Array(32).fill(-1);
FIXED_WORDS.set([-1, 1, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0]);
/** Words per vlen entry (member, enumerator, parameter, section entry), per kind number. */
export const ENTRY_WORDS = Int8Array.of(0, 0, 0, 0, 3, 3, 2, 0, 0, 0, 0, 0, 0, 2, 0, 3, 0, 0, 0, 3);

/** 32-bit words that follow the `btf_type` header for `kind` with `vlen` entries, or -1 for an unknown kind. */
export function extraWords(kind: number, vlen: number): number {
  const fixed = FIXED_WORDS[kind] ?? -1;
  return fixed < 0 ? -1 : fixed + (ENTRY_WORDS[kind] as number) * vlen;
}

/** Bytes that follow the 12-byte `btf_type` header for `kind` with `vlen` entries, or -1 for an unknown kind. */
export function extraSize(kind: number, vlen: number): number {
  const words = extraWords(kind, vlen);
  return words < 0 ? -1 : words * 4;
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
