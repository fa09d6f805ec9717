/** Instruction classes (low 3 bits of `code`). */
export const InsnClass = {
  /** `BPF_LD` */
  LD: 0x00,
  /** `BPF_LDX` */
  LDX: 0x01,
  /** `BPF_ST` */
  ST: 0x02,
  /** `BPF_STX` */
  STX: 0x03,
  /** `BPF_ALU` */
  ALU: 0x04,
  /** `BPF_JMP` */
  JMP: 0x05,
  /** `BPF_JMP32` */
  JMP32: 0x06,
  /** `BPF_ALU64` */
  ALU64: 0x07,
} as const;

/** Load/store sizes (`code & 0x18`). */
export const InsnSize = {
  /** `BPF_W`: 32-bit word */
  W: 0x00,
  /** `BPF_H`: 16-bit half word */
  H: 0x08,
  /** `BPF_B`: byte */
  B: 0x10,
  /** `BPF_DW`: 64-bit double word */
  DW: 0x18,
} as const;

/** Load/store modes (`code & 0xe0`). */
export const InsnMode = {
  /** `BPF_IMM` */
  IMM: 0x00,
  /** `BPF_ABS` */
  ABS: 0x20,
  /** `BPF_IND` */
  IND: 0x40,
  /** `BPF_MEM` */
  MEM: 0x60,
  /** `BPF_MEMSX` */
  MEMSX: 0x80,
  /** `BPF_ATOMIC` */
  ATOMIC: 0xc0,
} as const;

/** ALU operations (`code & 0xf0`). */
export const AluOp = {
  /** `BPF_ADD` */
  ADD: 0x00,
  /** `BPF_SUB` */
  SUB: 0x10,
  /** `BPF_MUL` */
  MUL: 0x20,
  /** `BPF_DIV` */
  DIV: 0x30,
  /** `BPF_OR` */
  OR: 0x40,
  /** `BPF_AND` */
  AND: 0x50,
  /** `BPF_LSH` */
  LSH: 0x60,
  /** `BPF_RSH` */
  RSH: 0x70,
  /** `BPF_NEG` */
  NEG: 0x80,
  /** `BPF_MOD` */
  MOD: 0x90,
  /** `BPF_XOR` */
  XOR: 0xa0,
  /** `BPF_MOV` */
  MOV: 0xb0,
  /** `BPF_ARSH` */
  ARSH: 0xc0,
  /** `BPF_END` */
  END: 0xd0,
} as const;

/** Jump operations (`code & 0xf0`). */
export const JmpOp = {
  /** `BPF_JA` */
  JA: 0x00,
  /** `BPF_JEQ` */
  JEQ: 0x10,
  /** `BPF_JGT` */
  JGT: 0x20,
  /** `BPF_JGE` */
  JGE: 0x30,
  /** `BPF_JSET` */
  JSET: 0x40,
  /** `BPF_JNE` */
  JNE: 0x50,
  /** `BPF_JSGT` */
  JSGT: 0x60,
  /** `BPF_JSGE` */
  JSGE: 0x70,
  /** `BPF_CALL` */
  CALL: 0x80,
  /** `BPF_EXIT` */
  EXIT: 0x90,
  /** `BPF_JLT` */
  JLT: 0xa0,
  /** `BPF_JLE` */
  JLE: 0xb0,
  /** `BPF_JSLT` */
  JSLT: 0xc0,
  /** `BPF_JSLE` */
  JSLE: 0xd0,
  /** `BPF_JCOND` */
  JCOND: 0xe0,
} as const;

/** Source operand (`code & 0x08`): immediate or register. */
export const InsnSource = {
  /** `BPF_K`: the immediate */
  K: 0x00,
  /** `BPF_X`: the source register */
  X: 0x08,
} as const;

/** `src_reg` values with special meaning (`BPF_PSEUDO_*`). */
export const PseudoSource = {
  /** ld_imm64: imm is a map fd. */
  MAP_FD: 1,
  /** ld_imm64: imm is a map fd, next imm an offset into its value. */
  MAP_VALUE: 2,
  /** ld_imm64: imm is a BTF id (typed ksym). */
  BTF_ID: 3,
  /** ld_imm64: imm is a relative instruction offset (callback). */
  FUNC: 4,
  /** ld_imm64: imm is an fd_array index of a map. */
  MAP_IDX: 5,
  /** ld_imm64: imm is an fd_array index, next imm an offset. */
  MAP_IDX_VALUE: 6,
  /** call: imm is a relative instruction offset (bpf-to-bpf call). */
  CALL: 1,
  /** call: imm is a kfunc BTF id. */
  KFUNC_CALL: 2,
} as const;

/** `BPF_LD | BPF_IMM | BPF_DW`: the first half of a 16-byte 64-bit immediate load. */
export const LD_IMM64 = InsnClass.LD | InsnSize.DW | InsnMode.IMM;
/** `BPF_JMP | BPF_CALL`. */
export const CALL = InsnClass.JMP | JmpOp.CALL;
/** `BPF_JMP | BPF_EXIT`. */
export const EXIT = InsnClass.JMP | JmpOp.EXIT;
