import type { CoreFixup } from './core/fixup.js';
import { poisons } from './core/fixup.js';
import { type ProgramLineInfo, sourceLineAt } from './ext-info.js';
import type { ProgramInstruction } from './program-instruction.js';

/** Where in the source a verifier rejection points, and the CO-RE fix-up behind it, if one is. */
export interface VerifierFailureSource {
  /** The rejected instruction, as the verifier's log names it (index in the loaded program). */
  readonly insn: number | undefined;
  /** The source line nearest at or before it, when the program has line info. */
  readonly line: ProgramLineInfo | undefined;
  /** `file.c:12: the line's text`, or `''` without line info. */
  readonly where: string;
  /**
   * When the instruction is one a CO-RE fix-up poisoned (`call 0xbad2310`): that fix-up and
   * a sentence saying why and what to do, which explain the failure better than the log.
   */
  readonly core:
    | {
        /** The fix-up that poisoned the instruction. */
        readonly fixup: CoreFixup;
        /** Why the kernel refused it, and what to do. */
        readonly explanation: string;
      }
    | undefined;
}

/** `file.c:12: text` for a line record: the file's base name, the line, its text trimmed. */
export function formatSourceLine(line: ProgramLineInfo): string {
  return `${line.fileName.split('/').pop()}:${line.line}: ${line.source.trim()}`;
}

/**
 * Maps the instruction a verifier log blames (see `failingInstruction` in `@bpfkit/syscall`)
 * back to the program's source through its line info, and says whether a CO-RE fix-up
 * poisoned it: a field or type the kernel's BTF lacks, or a load whose size differs there.
 * `instructions` are the program's planned instructions (their lines), `fixups` the CO-RE
 * fix-ups its load wrote.
 */
export function locateVerifierFailure(
  insn: number | undefined,
  instructions: readonly ProgramInstruction[],
  fixups: readonly CoreFixup[] = [],
): VerifierFailureSource {
  const line = insn === undefined ? undefined : sourceLineAt(instructions, insn);
  const where = line === undefined ? '' : formatSourceLine(line);
  const fixup = insn === undefined ? undefined : fixups.find((f) => f.insn === insn && poisons(f));
  if (fixup === undefined) return { insn, line, where, core: undefined };
  const explanation = fixup.poisoned
    ? `${fixup.local} has no match in the kernel's BTF; guard it with bpf_core_field_exists() or bpf_core_type_exists()`
    : `${fixup.local} is ${fixup.oldSize} bytes here but ${fixup.newSize} in the kernel (${fixup.target}); only pointers and unsigned integers may change size, read it with BPF_CORE_READ into a matching type`;
  return { insn, line, where, core: { fixup, explanation } };
}
