import { RelocError } from '../errors.js';
import type { Instruction } from '../insn/instruction.js';
import { CALL, InsnClass, InsnSize, InsnSource, LD_IMM64 } from '../insn/opcodes.js';
import type { InstructionPatch } from '../write-instructions.js';
import type { CoreResolution } from './resolve.js';

/** The immediate libbpf writes into an instruction it cannot relocate (`call 0xbad2310`). */
export const CORE_POISON = 195896080;

/**
 * A resolved CO-RE relocation placed on one instruction of a program, with the instruction
 * (both slots of an ld_imm64) it becomes: written into the program at load.
 */
export interface CoreFixup extends CoreResolution, InstructionPatch {}

const byteSizes: Readonly<Record<number, number>> = {
  [InsnSize.B]: 1,
  [InsnSize.H]: 2,
  [InsnSize.W]: 4,
  [InsnSize.DW]: 8,
};
const sizeCodes: Readonly<Record<number, number>> = { 1: InsnSize.B, 2: InsnSize.H, 4: InsnSize.W, 8: InsnSize.DW };

const poison = (): Instruction => ({ code: CALL, dst: 0, src: 0, off: 0, imm: CORE_POISON });

/** Whether the fix-up turns its instruction into `call 0xbad2310` (no target, or a load it must not resize). */
export function poisons(fixup: CoreFixup): boolean {
  const first = fixup.replacement[0];
  return first?.code === CALL && first.imm === CORE_POISON;
}

/** The instruction slots of a program, read one by index (`undefined` past the end). */
export type InstructionAt = (at: number) => Instruction | undefined;

/**
 * What the instruction at `at` becomes under `resolution`, as libbpf patches: an ALU
 * immediate (K source), a load/store offset (and its size when the field's size differs and
 * a resize is safe), or both halves of an ld_imm64; `call 0xbad2310` where the relocation
 * could not resolve. The compiled value is checked first where it can be. Nothing is written:
 * the fix-up is applied at load with the program's other writes.
 * @throws {@link RelocError} `bad-instruction` for an instruction that does not hold what the
 * object's BTF says, cannot carry the value, or cannot be patched.
 */
export function coreFixup(
  instruction: InstructionAt,
  at: number,
  resolution: CoreResolution,
  where: RelocError['context'] = {},
): CoreFixup {
  return {
    ...resolution,
    insn: at,
    replacement: fixedInstruction(instruction, at, resolution, { ...where, insn: at }),
  };
}

function fixedInstruction(
  instruction: InstructionAt,
  at: number,
  fixup: CoreResolution,
  where: RelocError['context'],
): Instruction[] {
  const fail = (problem: string): never => {
    throw new RelocError('bad-instruction', `${fixup.local}: ${problem}`, where);
  };
  const compiled = instruction(at);
  if (compiled === undefined) return fail('the relocation points past the end of the program');
  const { code, dst, src, off, imm } = compiled;
  const current: Instruction = { code, dst, src, off, imm };
  const wide = current.code === LD_IMM64;
  if (fixup.poisoned) return wide && instruction(at + 1) !== undefined ? [poison(), poison()] : [poison()];
  const expect = (value: bigint, what: string) => {
    if (fixup.checked && value !== fixup.oldValue)
      fail(`instruction holds ${what} ${value}, but the object's BTF gives ${fixup.oldValue}`);
  };
  const cls = current.code & 0x07;
  if (cls === InsnClass.ALU || cls === InsnClass.ALU64) {
    if ((current.code & 0x08) !== InsnSource.K) fail('an ALU instruction with a register source cannot be relocated');
    expect(BigInt.asUintN(64, BigInt(current.imm)), 'immediate');
    current.imm = Number(BigInt.asIntN(32, fixup.newValue));
    return [current];
  }
  if (cls === InsnClass.LDX || cls === InsnClass.ST || cls === InsnClass.STX) {
    expect(BigInt.asUintN(64, BigInt(current.off)), 'offset');
    if (fixup.newValue > 32767n) fail(`offset ${fixup.newValue} does not fit a load or store (at most 32767)`);
    if (fixup.resizeUnsafe) return [poison()];
    current.off = Number(fixup.newValue);
    if (fixup.newSize !== fixup.oldSize) {
      const size = byteSizes[current.code & 0x18];
      if (size !== fixup.oldSize) fail(`the access is ${size} bytes wide but the local field is ${fixup.oldSize}`);
      const sizeCode = sizeCodes[fixup.newSize];
      if (sizeCode === undefined) fail(`the target field is ${fixup.newSize} bytes wide, which no load or store has`);
      current.code = (current.code & ~0x18) | (sizeCode as number);
    }
    return [current];
  }
  if (wide) {
    const second = instruction(at + 1);
    if (
      current.src !== 0 ||
      current.off !== 0 ||
      second === undefined ||
      second.code !== 0 ||
      second.dst !== 0 ||
      second.src !== 0 ||
      second.off !== 0
    ) {
      fail('an ld_imm64 of an unexpected form cannot be relocated');
    }
    const next = second as Instruction;
    expect((BigInt(next.imm >>> 0) << 32n) | BigInt(current.imm >>> 0), 'value');
    current.imm = Number(BigInt.asIntN(32, fixup.newValue));
    return [current, { code: 0, dst: 0, src: 0, off: 0, imm: Number(BigInt.asIntN(32, fixup.newValue >> 32n)) }];
  }
  return fail(`an instruction with code 0x${current.code.toString(16)} cannot be relocated`);
}
