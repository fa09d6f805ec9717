import { btf, elf, LoadError, maps, reloc, syscall } from '@bpfkit/loader';
import { ExitCode } from './exit-codes.js';
import { colours } from './output.js';
import { UsageError } from './values.js';

/** Prints one paragraph about `error` (with a verifier excerpt for load failures) and returns the exit status. */
export function reportError(error: unknown): number {
  const c = colours(process.stderr);
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`${c('red', 'error:')} ${message}\n`);
  if (LoadError.is(error)) {
    const cause = (error as { cause?: unknown }).cause;
    if (syscall.BpfSyscallError.is(cause) && cause.log.length > 0) {
      process.stderr.write(`${c('dim', 'verifier log (last lines):')}\n`);
      for (const line of cause.log.filter((l) => l.trim() !== '').slice(-6)) process.stderr.write(`  ${line}\n`);
    }
    // 'open' is a definition problem and 'use' asks for a map or program that is not there.
    return error.step === 'open' || error.step === 'use' ? ExitCode.INPUT : ExitCode.KERNEL;
  }
  if (syscall.BpfSyscallError.is(error)) return ExitCode.KERNEL;
  if (
    error instanceof UsageError ||
    elf.ElfError.is(error) ||
    btf.BtfError.is(error) ||
    maps.MapError.is(error) ||
    reloc.RelocError.is(error) ||
    (error as { code?: string }).code === 'ENOENT'
  ) {
    return ExitCode.INPUT;
  }
  return ExitCode.KERNEL;
}
