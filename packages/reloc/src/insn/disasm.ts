import type { Instruction } from './instruction.js';
import { InsnClass, LD_IMM64 } from './opcodes.js';

/** Names the function containing an instruction, for jump labels (`<handle+0x120>`). */
export type Labeler = (index: number) =>
  | {
      /** The function's name. */
      readonly name: string;
      /** Its first instruction's index. */
      readonly start: number;
    }
  | undefined;

const hex = (value: number | bigint) => {
  const v = BigInt(value);
  return v < 0n ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`;
};
const signedOffset = (off: number) => (off < 0 ? `- 0x${(-off).toString(16)}` : `+ 0x${off.toString(16)}`);
const jumpOffset = (off: number) => (off < 0 ? `-0x${(-off).toString(16)}` : `+0x${off.toString(16)}`);
const sizeName: Record<number, string> = { 0: '32', 8: '16', 16: '8', 24: '64' };

const aluOps: Record<number, string> = {
  0: '+=',
  16: '-=',
  32: '*=',
  48: '/=',
  64: '|=',
  80: '&=',
  96: '<<=',
  112: '>>=',
  144: '%=',
  160: '^=',
  176: '=',
  192: 's>>=',
};
const jumpOps: Record<number, string> = {
  16: '==',
  32: '>',
  48: '>=',
  64: '&',
  80: '!=',
  96: 's>',
  112: 's>=',
  160: '<',
  176: '<=',
  192: 's<',
  208: 's<=',
};
const atomicOps: Record<number, string> = { 0: 'add', 64: 'or', 80: 'and', 160: 'xor' };
const atomicSigns: Record<number, string> = { 0: '+=', 64: '|=', 80: '&=', 160: '^=' };

function label(labeler: Labeler | undefined, target: number): string {
  const fn = labeler?.(target);
  if (fn === undefined) return '';
  const delta = (target - fn.start) * 8;
  return delta === 0 ? ` <${fn.name}>` : ` <${fn.name}+0x${delta.toString(16)}>`;
}

/**
 * One instruction in llvm-objdump's BPF syntax (`r0 = *(u32 *)(r2 + 0x0)`, `if r0 == 0x0 goto
 * +0x1c <handle+0x120>`, `r1 = 0x0 ll`). `next` is the second slot of an ld_imm64.
 */
export function formatInstruction(insn: Instruction, index: number, next?: Instruction, labeler?: Labeler): string {
  const cls = insn.code & 0x07;
  const op = insn.code & 0xf0;
  const byReg = (insn.code & 0x08) !== 0;
  const r = (n: number) => `r${n}`;
  const w = (n: number) => `w${n}`;
  switch (cls) {
    case InsnClass.ALU64:
    case InsnClass.ALU: {
      const reg = cls === InsnClass.ALU64 ? r : w;
      if (op === 0x80) return `${reg(insn.dst)} = -${reg(insn.dst)}`;
      if (op === 0xd0) {
        if (cls === InsnClass.ALU64) return `${r(insn.dst)} = bswap${insn.imm} ${r(insn.dst)}`;
        return `${r(insn.dst)} = ${byReg ? 'be' : 'le'}${insn.imm} ${r(insn.dst)}`;
      }
      // mov with off 1 on 64 bits is an address-space cast (arena pointers): imm = to << 16 | from.
      if (op === 0xb0 && byReg && insn.off === 1 && cls === InsnClass.ALU64) {
        return `${r(insn.dst)} = addr_space_cast(${r(insn.src)}, ${hex(insn.imm >>> 16)}, ${hex(insn.imm & 0xffff)})`;
      }
      if (op === 0xb0 && byReg && insn.off !== 0) return `${reg(insn.dst)} = (s${insn.off})${reg(insn.src)}`;
      const sign = (op === 0x30 || op === 0x90) && insn.off === 1 ? 's' : '';
      const operator = `${sign}${aluOps[op] ?? '?='}`;
      return `${reg(insn.dst)} ${operator} ${byReg ? reg(insn.src) : hex(insn.imm)}`;
    }
    case InsnClass.LDX: {
      const mode = insn.code & 0xe0;
      const kind = mode === 0x80 ? 's' : 'u';
      return `${r(insn.dst)} = *(${kind}${sizeName[insn.code & 0x18]} *)(${r(insn.src)} ${signedOffset(insn.off)})`;
    }
    case InsnClass.ST:
      return `*(u${sizeName[insn.code & 0x18]} *)(${r(insn.dst)} ${signedOffset(insn.off)}) = ${hex(insn.imm)}`;
    case InsnClass.STX: {
      const size = sizeName[insn.code & 0x18] as string;
      const address = `${r(insn.dst)} ${signedOffset(insn.off)}`;
      if ((insn.code & 0xe0) !== 0xc0) return `*(u${size} *)(${address}) = ${r(insn.src)}`;
      const reg = size === '64' ? r : w;
      const base = insn.imm & 0xf0;
      if (insn.imm === 0xe1)
        return `${reg(insn.src)} = xchg${size === '64' ? '_64' : '32_32'}(${address}, ${reg(insn.src)})`;
      if (insn.imm === 0xf1)
        return `${reg(0)} = cmpxchg${size === '64' ? '_64' : '32_32'}(${address}, ${reg(0)}, ${reg(insn.src)})`;
      if ((insn.imm & 0x01) !== 0)
        return `${reg(insn.src)} = atomic_fetch_${atomicOps[base] ?? '?'}((u${size} *)(${address}), ${reg(insn.src)})`;
      return `lock *(u${size} *)(${address}) ${atomicSigns[base] ?? '?='} ${reg(insn.src)}`;
    }
    case InsnClass.LD: {
      if (insn.code === LD_IMM64) {
        // llvm-objdump shows the 64-bit value as signed.
        const high = BigInt((next?.imm ?? 0) >>> 0) << 32n;
        return `${r(insn.dst)} = ${hex(BigInt.asIntN(64, high | BigInt(insn.imm >>> 0)))} ll`;
      }
      const mode = insn.code & 0xe0;
      const size = sizeName[insn.code & 0x18] as string;
      return mode === 0x20
        ? `r0 = *(u${size} *)skb[${hex(insn.imm)}]`
        : `r0 = *(u${size} *)skb[${r(insn.src)} + ${hex(insn.imm)}]`;
    }
    default: {
      const reg = cls === InsnClass.JMP ? r : w;
      if (insn.code === (InsnClass.JMP | 0x80)) return `call ${hex(insn.imm)}`;
      if (insn.code === (InsnClass.JMP | 0x90)) return 'exit';
      if (op === 0x00) {
        if (cls === InsnClass.JMP32) return `gotol ${jumpOffset(insn.imm)}${label(labeler, index + insn.imm + 1)}`;
        return `goto ${jumpOffset(insn.off)}${label(labeler, index + insn.off + 1)}`;
      }
      if (op === 0xe0) return `may_goto ${jumpOffset(insn.off)}${label(labeler, index + insn.off + 1)}`;
      const right = byReg ? reg(insn.src) : hex(insn.imm);
      return `if ${reg(insn.dst)} ${jumpOps[op] ?? '?'} ${right} goto ${jumpOffset(insn.off)}${label(labeler, index + insn.off + 1)}`;
    }
  }
}

/** A whole instruction stream, one line per instruction (ld_imm64 takes two slots, one line), with slot indexes. */
export function disassemble(
  instructions: readonly Instruction[],
  labeler?: Labeler,
): {
  /** The instruction's slot index. */
  index: number;
  /** The instruction as text, in bpftool's style. */
  text: string;
}[] {
  const lines: { index: number; text: string }[] = [];
  for (let i = 0; i < instructions.length; i++) {
    const insn = instructions[i] as Instruction;
    const wide = insn.code === LD_IMM64;
    lines.push({ index: i, text: formatInstruction(insn, i, wide ? instructions[i + 1] : undefined, labeler) });
    if (wide) i++;
  }
  return lines;
}
