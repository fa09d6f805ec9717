import { RelocError } from '../errors.js';

/** One 8-byte BPF instruction slot; an ld_imm64 spans two (the second holds the upper imm). */
export interface Instruction {
  /** Opcode byte. */
  code: number;
  /** Destination register (0–10). */
  dst: number;
  /** Source register, or a `BPF_PSEUDO_*` marker. */
  src: number;
  /** Signed 16-bit offset. */
  off: number;
  /** Signed 32-bit immediate. */
  imm: number;
}

/** Size of one instruction slot. */
export const INSN_SIZE = 8;

/**
 * Decodes instruction slots. In big-endian objects the register nibbles are swapped
 * (`dst` is the high nibble), as are the multi-byte fields.
 * @throws {@link RelocError} `bad-instruction` when the length is not a multiple of 8.
 */
export function decodeInstructions(bytes: Uint8Array, littleEndian: boolean): Instruction[] {
  requireWholeInstructions(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Instruction[] = new Array(bytes.length / INSN_SIZE);
  for (let i = 0; i < out.length; i++) {
    const at = i * INSN_SIZE;
    const registers = view.getUint8(at + 1);
    out[i] = {
      code: view.getUint8(at),
      dst: destinationRegister(registers, littleEndian),
      src: sourceRegister(registers, littleEndian),
      off: view.getInt16(at + 2, littleEndian),
      imm: view.getInt32(at + 4, littleEndian),
    };
  }
  return out;
}

/**
 * Refuses code whose size is not a whole number of instruction slots.
 * @throws {@link RelocError} `bad-instruction` when the length is not a multiple of 8.
 */
export function requireWholeInstructions(bytes: Uint8Array): void {
  if (bytes.length % INSN_SIZE !== 0) {
    throw new RelocError('bad-instruction', 'code size is not a whole number of 8-byte instructions', {
      expected: 'a multiple of 8',
      actual: bytes.length,
    });
  }
}

/** Encodes instruction slots in the given byte order. */
export function encodeInstructions(instructions: readonly Instruction[], littleEndian: boolean): Uint8Array {
  const bytes = new Uint8Array(instructions.length * INSN_SIZE);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < instructions.length; i++)
    writeInstruction(view, i * INSN_SIZE, instructions[i] as Instruction, littleEndian);
  return bytes;
}

/** Writes one instruction slot at byte `at` of `view`, in the given byte order. */
export function writeInstruction(view: DataView, at: number, insn: Readonly<Instruction>, littleEndian: boolean): void {
  view.setUint8(at, insn.code);
  view.setUint8(at + 1, registerByte(insn.dst, insn.src, littleEndian));
  view.setInt16(at + 2, insn.off, littleEndian);
  view.setInt32(at + 4, insn.imm, littleEndian);
}

/** The register byte of a slot: `dst` in the low nibble on little-endian, the high one on big-endian. */
function registerByte(dst: number, src: number, littleEndian: boolean): number {
  return littleEndian ? ((src & 0xf) << 4) | (dst & 0xf) : ((dst & 0xf) << 4) | (src & 0xf);
}

/** `dst` of a slot's register byte (see {@link registerByte}). */
export function destinationRegister(registers: number, littleEndian: boolean): number {
  return littleEndian ? registers & 0xf : registers >> 4;
}

/** `src` of a slot's register byte (see {@link registerByte}). */
export function sourceRegister(registers: number, littleEndian: boolean): number {
  return littleEndian ? registers >> 4 : registers & 0xf;
}

/** A slot's register byte with its source register replaced by `src`. */
export function withSourceRegister(registers: number, src: number, littleEndian: boolean): number {
  return registerByte(destinationRegister(registers, littleEndian), src, littleEndian);
}
