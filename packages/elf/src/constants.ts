/** `e_machine` values this package names. */
export const Machine = {
  /** `EM_NONE` */
  NONE: 0,
  /** `EM_X86_64` */
  X86_64: 62,
  /** Linux eBPF. */
  BPF: 247,
} as const;

/** `e_type` values. */
export const ElfType = {
  /** `ET_NONE` */
  NONE: 0,
  /** `ET_REL` */
  REL: 1,
  /** `ET_EXEC` */
  EXEC: 2,
  /** `ET_DYN` */
  DYN: 3,
  /** `ET_CORE` */
  CORE: 4,
} as const;

/** `sh_type` values. */
export const SectionType = {
  /** `SHT_NULL` */
  NULL: 0,
  /** `SHT_PROGBITS` */
  PROGBITS: 1,
  /** `SHT_SYMTAB` */
  SYMTAB: 2,
  /** `SHT_STRTAB` */
  STRTAB: 3,
  /** `SHT_RELA` */
  RELA: 4,
  /** `SHT_HASH` */
  HASH: 5,
  /** `SHT_DYNAMIC` */
  DYNAMIC: 6,
  /** `SHT_NOTE` */
  NOTE: 7,
  /** `SHT_NOBITS` */
  NOBITS: 8,
  /** `SHT_REL` */
  REL: 9,
  /** `SHT_SHLIB` */
  SHLIB: 10,
  /** `SHT_DYNSYM` */
  DYNSYM: 11,
  /** `SHT_INIT_ARRAY` */
  INIT_ARRAY: 14,
  /** `SHT_FINI_ARRAY` */
  FINI_ARRAY: 15,
  /** `SHT_PREINIT_ARRAY` */
  PREINIT_ARRAY: 16,
  /** `SHT_GROUP` */
  GROUP: 17,
  /** `SHT_SYMTAB_SHNDX` */
  SYMTAB_SHNDX: 18,
  /** `SHT_LLVM_ADDRSIG` */
  LLVM_ADDRSIG: 0x6fff4c03,
} as const;

/** `sh_flags` bits. */
export const SectionFlag = {
  /** `SHF_WRITE` */
  WRITE: 0x1,
  /** `SHF_ALLOC` */
  ALLOC: 0x2,
  /** `SHF_EXECINSTR` */
  EXECINSTR: 0x4,
  /** `SHF_MERGE` */
  MERGE: 0x10,
  /** `SHF_STRINGS` */
  STRINGS: 0x20,
  /** `SHF_INFO_LINK` */
  INFO_LINK: 0x40,
  /** `SHF_LINK_ORDER` */
  LINK_ORDER: 0x80,
  /** `SHF_GROUP` */
  GROUP: 0x200,
  /** `SHF_TLS` */
  TLS: 0x400,
  /** `SHF_COMPRESSED` */
  COMPRESSED: 0x800,
  /** `SHF_EXCLUDE` */
  EXCLUDE: 0x80000000,
} as const;

/** Reserved section indexes (`st_shndx`, `e_shstrndx`). */
export const SectionIndex = {
  /** `SHN_UNDEF` */
  UNDEF: 0,
  /** `SHN_LORESERVE` */
  LORESERVE: 0xff00,
  /** `SHN_ABS` */
  ABS: 0xfff1,
  /** `SHN_COMMON` */
  COMMON: 0xfff2,
  /** The real index is elsewhere: section 0 (headers) or `SHT_SYMTAB_SHNDX` (symbols). */
  XINDEX: 0xffff,
} as const;

/** Symbol binding (high nibble of `st_info`). */
export const SymbolBinding = {
  /** `STB_LOCAL` */
  LOCAL: 0,
  /** `STB_GLOBAL` */
  GLOBAL: 1,
  /** `STB_WEAK` */
  WEAK: 2,
} as const;

/** Symbol type (low nibble of `st_info`). */
export const SymbolType = {
  /** `STT_NOTYPE` */
  NOTYPE: 0,
  /** `STT_OBJECT` */
  OBJECT: 1,
  /** `STT_FUNC` */
  FUNC: 2,
  /** `STT_SECTION` */
  SECTION: 3,
  /** `STT_FILE` */
  FILE: 4,
  /** `STT_COMMON` */
  COMMON: 5,
  /** `STT_TLS` */
  TLS: 6,
} as const;

/** Symbol visibility (low two bits of `st_other`). */
export const SymbolVisibility = {
  /** `STV_DEFAULT` */
  DEFAULT: 0,
  /** `STV_INTERNAL` */
  INTERNAL: 1,
  /** `STV_HIDDEN` */
  HIDDEN: 2,
  /** `STV_PROTECTED` */
  PROTECTED: 3,
} as const;

/** BPF relocation types (`ELF64_R_TYPE`). */
export const BpfRelocationType = {
  /** `NONE` */
  NONE: 0,
  /** 64-bit immediate of an `ld_imm64`. */
  R_BPF_64_64: 1,
  /** 64-bit data, e.g. `.values` slots in `.maps`. */
  R_BPF_64_ABS64: 2,
  /** 32-bit data, e.g. DWARF and BTF.ext. */
  R_BPF_64_ABS32: 3,
  /** 32-bit data that a dynamic linker must leave alone. */
  R_BPF_64_NODYLD32: 4,
  /** 32-bit immediate of a call instruction. */
  R_BPF_64_32: 10,
} as const;

/** Sizes of the ELF64 records this package reads. */
export const RecordSize = {
  /** Bytes in `Elf64_Ehdr`. */
  HEADER: 64,
  /** Bytes in `Elf64_Shdr`. */
  SECTION_HEADER: 64,
  /** Bytes in `Elf64_Sym`. */
  SYMBOL: 24,
  /** Bytes in `Elf64_Rel`. */
  REL: 16,
  /** Bytes in `Elf64_Rela`. */
  RELA: 24,
  /** Bytes in one `SHT_SYMTAB_SHNDX` entry. */
  SYMTAB_SHNDX: 4,
} as const;
