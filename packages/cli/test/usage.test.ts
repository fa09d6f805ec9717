import { describe, expect, it } from 'vitest';
import { ExitCode } from '../src/exit-codes.js';
import { buildProgram } from '../src/program.js';

/** Parses `args` as `bpfkit` would, without running a command; returns the exit status set and what was printed to stderr. */
async function usage(...args: string[]): Promise<{ status: number | undefined; stderr: string }> {
  let status: number | undefined;
  let stderr = '';
  const program = buildProgram((code) => {
    status = code;
  });
  const quiet = (command: typeof program) => {
    command.configureOutput({ writeErr: (text) => (stderr += text), writeOut: () => {} });
    for (const sub of command.commands) quiet(sub);
  };
  quiet(program);
  await program.parseAsync(args, { from: 'user' }).catch(() => {});
  return { status, stderr };
}

describe('usage errors exit 2 (bad arguments), at every level of commands', () => {
  it.each([
    ['an unknown command', ['frobnicate']],
    ['an unknown option of a command', ['inspect', 'x.o', '--nope']],
    ['a missing argument of a command', ['run', 'x.o']],
    ['an unknown option of a nested command', ['map', 'dump', 'x.o', '--nope']],
    ['a missing argument of a nested command', ['btf', 'dump']],
  ])('%s', async (_what, args) => {
    const { status, stderr } = await usage(...args);
    expect(status).toBe(ExitCode.INPUT);
    expect(stderr).toMatch(/^error: /);
  });

  it.each(['abc', '0', '-1', '1.5', '4294967296', ''])(
    '--repeat %j is refused before anything loads',
    async (value) => {
      const { status, stderr } = await usage('run', 'missing.o', 'prog', '--repeat', value);
      expect(status).toBe(ExitCode.INPUT);
      expect(stderr).toContain("option '--repeat <n>' argument");
      expect(stderr).toContain('expected a whole number from 1 to 4294967295');
    },
  );

  it('--help and --version exit 0', async () => {
    expect((await usage('--help')).status).toBe(ExitCode.OK);
    expect((await usage('run', '--help')).status).toBe(ExitCode.OK);
    expect((await usage('--version')).status).toBe(ExitCode.OK);
  });
});

describe('enumerated options accept only their choices', () => {
  it.each([
    [['btf', 'dump', 'x.o', '--format', 'yaml'], 'c, json, raw'],
    [['graph', 'x.o', '--format', 'png'], 'svg, dot, mermaid'],
  ])('%j', async (args, choices) => {
    const { status, stderr } = await usage(...args);
    expect(status).toBe(ExitCode.INPUT);
    expect(stderr).toContain(`Allowed choices are ${choices}.`);
  });
});
