import { isBpfkitError } from '@bpfkit/errors';
import type { LoadError } from '@bpfkit/loader';
import type { BpfSyscallError } from '@bpfkit/syscall';
import { ExitCode } from './exit-codes.js';
import { colours, toJson } from './output.js';

/** True for an error Node raised from a system call (a file that cannot be read, …): the environment, not a bug. */
function isSystemError(error: unknown): error is Error & { code: string } {
  return error instanceof Error && typeof (error as { syscall?: unknown }).syscall === 'string';
}

/**
 * True for a system error about a path the user gave (missing, a directory, unreadable…):
 * the argument is wrong, whatever the errno. A missing file or a directory counts even when
 * Node names no path (reading a directory fails in `read`, whose error has none).
 */
function namesAPath(error: Error & { code: string }): boolean {
  return error.code === 'ENOENT' || error.code === 'EISDIR' || typeof (error as { path?: unknown }).path === 'string';
}

/**
 * True for a `LoadError` or a `BpfSyscallError` from any copy of its package, checked as their
 * static `is` checks (brand and name) without importing the loader or the FFI just to report
 * an error from `btf dump`.
 */
function isBpfkitErrorNamed<T>(error: unknown, name: 'LoadError' | 'BpfSyscallError'): error is T {
  return isBpfkitError(error) && error.name === name;
}

/** True for the errors bpfkit throws on purpose: its packages' typed errors (bad arguments among them). */
function isExpected(error: unknown): boolean {
  return isBpfkitError(error) || isSystemError(error);
}

/**
 * Prints one paragraph about `error` (with a verifier excerpt for load failures) and returns
 * the exit status. An error none of bpfkit's packages meant to throw is a bug: it is said so,
 * with the stack, and exits {@link ExitCode.BUG}, never as a kernel refusal.
 */
export function reportError(error: unknown): number {
  const c = colours(process.stderr);
  const message = error instanceof Error ? error.message : String(error);
  if (!isExpected(error)) {
    const stack = error instanceof Error && error.stack !== undefined ? `\n${c('dim', error.stack)}` : '';
    process.stderr.write(
      `${c('red', 'internal error:')} ${message} (a bug in bpfkit, not a refusal by the kernel; please report it with this output)${stack}\n`,
    );
    return ExitCode.BUG;
  }
  process.stderr.write(`${c('red', 'error:')} ${message}\n`);
  if (isBpfkitErrorNamed<LoadError>(error, 'LoadError')) {
    const cause = (error as { cause?: unknown }).cause;
    if (isBpfkitErrorNamed<BpfSyscallError>(cause, 'BpfSyscallError') && cause.log.length > 0) {
      process.stderr.write(`${c('dim', 'verifier log (last lines):')}\n`);
      for (const line of cause.log.filter((l) => l.trim() !== '').slice(-6)) process.stderr.write(`  ${line}\n`);
    }
    // 'open' is a definition problem and 'use' asks for a map or program that is not there.
    return error.step === 'open' || error.step === 'use' ? ExitCode.INPUT : ExitCode.KERNEL;
  }
  if (isBpfkitErrorNamed<BpfSyscallError>(error, 'BpfSyscallError') || (isSystemError(error) && !namesAPath(error)))
    return ExitCode.KERNEL;
  return ExitCode.INPUT;
}

/**
 * `error` for `--json` callers, on standard output: `{"error":{"message","code","exitCode",…}}`
 * with the error's own code and context when it has them (the human sentence still goes to
 * standard error).
 */
export function errorJson(error: unknown, exitCode: number): string {
  const message = error instanceof Error ? error.message : String(error);
  const { code, context } = error as { code?: unknown; context?: unknown };
  return toJson({
    error: {
      message,
      ...(typeof code === 'string' ? { code } : {}),
      exitCode,
      ...(context !== null && typeof context === 'object' ? { context } : {}),
    },
  });
}
