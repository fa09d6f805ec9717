import { RelocError } from '../errors.js';
import type { Instruction } from '../insn/instruction.js';
import { CALL, InsnClass, InsnSize, InsnSource, LD_IMM64 } from '../insn/opcodes.js';
import type { CoreResolution } from './resolve.js';

/** The immediate libbpf writes into an instruction it cannot relocate (`call 0xbad2310`). */
export const CORE_POISON = 195896080;

/** A resolved CO-RE relocation placed on one instruction of a program. */
export interface CoreFixup extends CoreResolution {
  /** Index of the instruction in the program. */
  readonly insn: number;
}

const byteSizes: Readonly<Record<number, number>> = {
  [InsnSize.B]: 1,
  [InsnSize.H]: 2,
  [InsnSize.W]: 4,
  [InsnSize.DW]: 8,
};
const sizeCodes: Readonly<Record<number, number>> = { 1: InsnSize.B, 2: InsnSize.H, 4: InsnSize.W, 8: InsnSize.DW };

const poison = (): Instruction => ({ code: CALL, dst: 0, src: 0, off: 0, imm: CORE_POISON });

/** Whether the fix-up turns its instruction into `call 0xbad2310` (no target, or a load it must not resize). */
export function poisons(fixup: CoreFixup, instruction: Instruction | undefined): boolean {
  if (fixup.poisoned) return true;
  const cls = (instruction?.code ?? 0) & 0x07;
  return fixup.resizeUnsafe && (cls === InsnClass.LDX || cls === InsnClass.ST || cls === InsnClass.STX);
}

/**
 * A copy of `instructions` with each fix-up applied as libbpf patches: an ALU immediate
 * (K source), a load/store offset (and its size when the field's size differs and a resize
 * is safe), or both halves of an ld_imm64; `call 0xbad2310` where the relocation could not
 * resolve. The compiled value is checked first where it can be.
 * @throws {@link RelocError} `bad-instruction` for an instruction that does not hold what the
 * object's BTF says, cannot carry the value, or cannot be patched.
 */
export function applyCoreFixups(
  instructions: readonly Instruction[],
  fixups: readonly CoreFixup[],
  where: RelocError['context'] = {},
): Instruction[] {
  const out = instructions.map((insn) => ({ ...insn }));
  for (const fixup of fixups) patch(out, fixup, { ...where, insn: fixup.insn });
  return out;
}

function patch(out: Instruction[], fixup: CoreFixup, where: RelocError['context']): void {
  const at = fixup.insn;
  const insn = out[at];
  const fail = (problem: string): never => {
    throw new RelocError('bad-instruction', `${fixup.local}: ${problem}`, where);
  };
  if (insn === undefined) fail('the relocation points past the end of the program');
  const current = insn as Instruction;
  const wide = current.code === LD_IMM64;
  if (fixup.poisoned) {
    out[at] = poison();
    if (wide && at + 1 < out.length) out[at + 1] = poison();
    return;
  }
  const expect = (compiled: bigint, what: string) => {
    if (fixup.checked && compiled !== fixup.oldValue)
      fail(`instruction holds ${what} ${compiled}, but the object's BTF gives ${fixup.oldValue}`);
  };
  const cls = current.code & 0x07;
  if (cls === InsnClass.ALU || cls === InsnClass.ALU64) {
    if ((current.code & 0x08) !== InsnSource.K) fail('an ALU instruction with a register source cannot be relocated');
    expect(BigInt.asUintN(64, BigInt(current.imm)), 'immediate');
    current.imm = Number(BigInt.asIntN(32, fixup.newValue));
    return;
  }
  if (cls === InsnClass.LDX || cls === InsnClass.ST || cls === InsnClass.STX) {
    expect(BigInt.asUintN(64, BigInt(current.off)), 'offset');
    if (fixup.newValue > 32767n) fail(`offset ${fixup.newValue} does not fit a load or store (at most 32767)`);
    if (fixup.resizeUnsafe) {
      out[at] = poison();
      return;
    }
    current.off = Number(fixup.newValue);
    if (fixup.newSize !== fixup.oldSize) {
      const size = byteSizes[current.code & 0x18];
      if (size !== fixup.oldSize) fail(`the access is ${size} bytes wide but the local field is ${fixup.oldSize}`);
      const code = sizeCodes[fixup.newSize];
      if (code === undefined) fail(`the target field is ${fixup.newSize} bytes wide, which no load or store has`);
      current.code = (current.code & ~0x18) | (code as number);
    }
    return;
  }
  if (wide) {
    const second = out[at + 1];
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
    next.imm = Number(BigInt.asIntN(32, fixup.newValue >> 32n));
    return;
  }
  fail(`an instruction with code 0x${current.code.toString(16)} cannot be relocated`);
}
