import { buildProgram } from '../src/program.js';

/**
 * Runs `bpfkit ...args` in this process, as the command line parses it; returns its exit
 * status, what it printed on standard output (`output`) and on standard error (`stderr`).
 */
export async function bpfkitInProcess(...args: string[]): Promise<{ status: number; output: string; stderr: string }> {
  let output = '';
  let stderr = '';
  let status = -1;
  const write = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  const log = console.log;
  const text = (chunk: string | Uint8Array) => (typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
  process.stdout.write = ((chunk: string | Uint8Array) => {
    output += text(chunk);
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += text(chunk);
    return true;
  }) as typeof process.stderr.write;
  console.log = (...parts: unknown[]) => {
    output += `${parts.join(' ')}\n`;
  };
  try {
    await buildProgram((code) => {
      status = code;
    }).parseAsync(['node', 'bpfkit', ...args]);
  } catch (error) {
    // Usage errors and `--help` end through commander's exit override, which set the status.
    if ((error as { exitCode?: number }).exitCode === undefined) throw error;
  } finally {
    process.stdout.write = write;
    process.stderr.write = writeErr;
    console.log = log;
  }
  return { status, output, stderr };
}
