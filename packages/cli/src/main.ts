import { buildProgram } from './program.js';

// V8's on-disk compile cache, where Node has it (22.1+; Node 20 has none and skips the call):
// each run after the first skips compiling the packages a command imports, which load after
// this line. No directory is given, so NODE_COMPILE_CACHE decides when set, else Node's default
// under os.tmpdir(), as Node advises tools; a cache that cannot be enabled is not an error.
// (@types/node 20 does not declare it.)
const nodeModule = process.getBuiltinModule('node:module') as { enableCompileCache?: () => unknown };
nodeModule.enableCompileCache?.();

// Output piped into a closed reader (e.g. `| head`) ends the command quietly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

let status = 0;
const program = buildProgram((code) => {
  status = code;
});
try {
  await program.parseAsync(process.argv);
} catch {
  // commander has printed the usage error already; the exit status is set.
}
process.exitCode = status;
