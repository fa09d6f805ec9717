/** Instruction classes (low 3 bits of `code`). */
export const InsnClass = {
  LD: 0x00,
  LDX: 0x01,
  ST: 0x02,
  STX: 0x03,
  ALU: 0x04,
  JMP: 0x05,
  JMP32: 0x06,
  ALU64: 0x07,
} as const;

/** Load/store sizes (`code & 0x18`). */
export const InsnSize = { W: 0x00, H: 0x08, B: 0x10, DW: 0x18 } as const;

/** Load/store modes (`code & 0xe0`). */
export const InsnMode = { IMM: 0x00, ABS: 0x20, IND: 0x40, MEM: 0x60, MEMSX: 0x80, ATOMIC: 0xc0 } as const;

/** ALU operations (`code & 0xf0`). */
export const AluOp = {
  ADD: 0x00,
  SUB: 0x10,
  MUL: 0x20,
  DIV: 0x30,
  OR: 0x40,
  AND: 0x50,
  LSH: 0x60,
  RSH: 0x70,
  NEG: 0x80,
  MOD: 0x90,
  XOR: 0xa0,
  MOV: 0xb0,
  ARSH: 0xc0,
  END: 0xd0,
} as const;

/** Jump operations (`code & 0xf0`). */
export const JmpOp = {
  JA: 0x00,
  JEQ: 0x10,
  JGT: 0x20,
  JGE: 0x30,
  JSET: 0x40,
  JNE: 0x50,
  JSGT: 0x60,
  JSGE: 0x70,
  CALL: 0x80,
  EXIT: 0x90,
  JLT: 0xa0,
  JLE: 0xb0,
  JSLT: 0xc0,
  JSLE: 0xd0,
  JCOND: 0xe0,
} as const;

/** Source operand (`code & 0x08`): immediate or register. */
export const InsnSource = { K: 0x00, X: 0x08 } as const;

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
