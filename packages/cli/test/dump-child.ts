// Run as a child process by map-dump.test.ts, with BPFKIT_FFI naming the FFI: runs
// `bpfkit map dump PATH --json` (the command as the CLI parses it) for every path given,
// and prints one JSON object of { path: { status, output } }. A buffer the kernel
// overran shows as a crash (heap corruption aborts the process).
import { buildProgram } from '../src/program.js';

const results: Record<string, { status: number; output: string }> = {};
const print = console.log;
for (const path of process.argv.slice(2)) {
  let status = -1;
  const lines: string[] = [];
  console.log = (...parts: unknown[]) => lines.push(parts.join(' '));
  try {
    await buildProgram((code) => {
      status = code;
    }).parseAsync(['node', 'bpfkit', 'map', 'dump', path, '--json']);
  } finally {
    console.log = print;
  }
  results[path] = { status, output: lines.join('\n') };
}
(globalThis as { gc?: () => void }).gc?.();
print(JSON.stringify(results));
