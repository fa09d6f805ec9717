import type { Instruction } from './instruction.js';
import { AluOp, CALL, EXIT, InsnClass, InsnSize, InsnSource, JmpOp, LD_IMM64, PseudoSource } from './opcodes.js';

/** Register numbers r0–r10. */
export type Register = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10;

const sizes = { 1: InsnSize.B, 2: InsnSize.H, 4: InsnSize.W, 8: InsnSize.DW } as const;

/**
 * Writes BPF programs by hand, one method per instruction form, with forward jumps to
 * named labels resolved by {@link build}:
 * `new ProgramBuilder().mov(0, 2).exit().build()` is `r0 = 2; exit`.
 */
export class ProgramBuilder {
  private readonly instructions: Instruction[] = [];
  private readonly labels = new Map<string, number>();
  private readonly jumps: { at: number; label: string }[] = [];

  private push(code: number, dst: number, src: number, off: number, imm: number): this {
    this.instructions.push({ code, dst, src, off, imm });
    return this;
  }

  /** `dst = imm` (64-bit). */
  mov(dst: Register, imm: number): this {
    return this.push(InsnClass.ALU64 | AluOp.MOV | InsnSource.K, dst, 0, 0, imm);
  }
  /** `dst = src` (64-bit). */
  movReg(dst: Register, src: Register): this {
    return this.push(InsnClass.ALU64 | AluOp.MOV | InsnSource.X, dst, src, 0, 0);
  }
  /** `dst <op>= imm` (64-bit), `op` one of {@link AluOp}. */
  alu(op: number, dst: Register, imm: number): this {
    return this.push(InsnClass.ALU64 | op | InsnSource.K, dst, 0, 0, imm);
  }
  /** `dst <op>= src` (64-bit). */
  aluReg(op: number, dst: Register, src: Register): this {
    return this.push(InsnClass.ALU64 | op | InsnSource.X, dst, src, 0, 0);
  }
  /** `dst = *(u<size*8> *)(src + off)`. */
  load(size: 1 | 2 | 4 | 8, dst: Register, src: Register, off: number): this {
    return this.push(InsnClass.LDX | 0x60 | sizes[size], dst, src, off, 0);
  }
  /** `*(u<size*8> *)(dst + off) = src`. */
  store(size: 1 | 2 | 4 | 8, dst: Register, off: number, src: Register): this {
    return this.push(InsnClass.STX | 0x60 | sizes[size], dst, src, off, 0);
  }
  /** `*(u<size*8> *)(dst + off) = imm`. */
  storeImm(size: 1 | 2 | 4 | 8, dst: Register, off: number, imm: number): this {
    return this.push(InsnClass.ST | 0x60 | sizes[size], dst, 0, off, imm);
  }
  /** `lock *(u64 *)(dst + off) += src`. */
  atomicAdd(dst: Register, off: number, src: Register): this {
    return this.push(InsnClass.STX | 0xc0 | InsnSize.DW, dst, src, off, AluOp.ADD);
  }
  /** `dst = <map fd> ll` (BPF_PSEUDO_MAP_FD). */
  loadMapFd(dst: Register, fd: number): this {
    this.push(LD_IMM64, dst, PseudoSource.MAP_FD, 0, fd);
    return this.push(0, 0, 0, 0, 0);
  }
  /** `dst = <64-bit imm> ll`. */
  loadImm64(dst: Register, value: bigint): this {
    const raw = BigInt.asUintN(64, value);
    this.push(LD_IMM64, dst, 0, 0, Number(BigInt.asIntN(32, raw & 0xffffffffn)));
    return this.push(0, 0, 0, 0, Number(BigInt.asIntN(32, raw >> 32n)));
  }
  /** `call <helper>`. */
  call(helper: number): this {
    return this.push(CALL, 0, 0, 0, helper);
  }
  /** `if dst <op> imm goto label` (`op` one of {@link JmpOp}), or `goto label` for `JA`. */
  jump(op: number, dst: Register, imm: number, label: string): this {
    this.jumps.push({ at: this.instructions.length, label });
    return this.push(InsnClass.JMP | op | InsnSource.K, op === JmpOp.JA ? 0 : dst, 0, 0, imm);
  }
  /** Places `label` at the next instruction. */
  label(name: string): this {
    this.labels.set(name, this.instructions.length);
    return this;
  }
  /** `exit`. */
  exit(): this {
    return this.push(EXIT, 0, 0, 0, 0);
  }

  /**
   * The instructions, with jump offsets resolved.
   * @throws Error for a jump to a label that was never placed.
   */
  build(): Instruction[] {
    for (const { at, label } of this.jumps) {
      const target = this.labels.get(label);
      if (target === undefined) throw new Error(`jump to undefined label '${label}'`);
      (this.instructions[at] as Instruction).off = target - (at + 1);
    }
    return this.instructions.map((i) => ({ ...i }));
  }
}
