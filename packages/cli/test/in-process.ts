import { buildProgram } from '../src/program.js';

/** Runs `bpfkit ...args` in this process, as the command line parses it; returns its exit status and what it printed. */
export async function bpfkitInProcess(...args: string[]): Promise<{ status: number; output: string }> {
  let output = '';
  let status = -1;
  const write = process.stdout.write.bind(process.stdout);
  const log = console.log;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    output += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  }) as typeof process.stdout.write;
  console.log = (...parts: unknown[]) => {
    output += `${parts.join(' ')}\n`;
  };
  try {
    await buildProgram((code) => {
      status = code;
    }).parseAsync(['node', 'bpfkit', ...args]);
  } catch (error) {
    // `--help` ends through commander's exit override, with status 0.
    if ((error as { exitCode?: number }).exitCode !== 0) throw error;
  } finally {
    process.stdout.write = write;
    console.log = log;
  }
  return { status, output };
}
