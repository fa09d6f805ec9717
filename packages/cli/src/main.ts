import { buildProgram } from './program.js';

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
