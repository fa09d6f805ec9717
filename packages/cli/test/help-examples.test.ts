import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bpfUnavailable } from '../../syscall/test/kernel.js';
import { buildProgram } from '../src/program.js';
import { bpfkitInProcess } from './in-process.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const unavailable = bpfUnavailable();

/** The `bpfkit …` lines under "Example(s):" in the help of every command and subcommand, in help order. */
function helpExamples(): string[] {
  const examples: string[] = [];
  const visit = (command: Command) => {
    let help = '';
    command.configureOutput({ writeOut: (text) => (help += text) });
    command.outputHelp();
    const section = help.split(/^Examples?:$/m)[1] ?? '';
    examples.push(...[...section.matchAll(/^ {2}(bpfkit .+)$/gm)].map(([, line]) => line as string));
    for (const sub of command.commands) visit(sub);
  };
  visit(buildProgram(() => {}));
  return examples;
}

/** `npm run bpfkit -- ARGS` lines in a Markdown file, as `bpfkit ARGS`. */
function docExamples(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  return [...text.matchAll(/npm run bpfkit -- ([^#\n`]+?)\s*(?:#|$|`)/gm)].map(([, args]) => `bpfkit ${args}`);
}

/**
 * Runs `bpfkit ARGS [> FILE]` in this process, with relative paths taken from `cwd`; returns
 * its exit status and what it printed (or wrote to FILE).
 */
async function runExample(line: string, cwd: string): Promise<{ status: number; output: string }> {
  const [command, redirect] = line.split(/\s+>\s+/) as [string, string | undefined];
  const args = command
    .split(/\s+/)
    .slice(1)
    .map((a, i, all) => (a.startsWith('examples/') || all[i - 1] === '-o' ? join(cwd, a) : a));
  const { status, output } = await bpfkitInProcess(...args);
  if (redirect !== undefined) writeFileSync(join(cwd, redirect), output);
  const wrote = /-o (\S+)/.exec(command)?.[1];
  return { status, output: wrote === undefined ? output : readFileSync(join(cwd, wrote), 'utf8') };
}

describe.skipIf(unavailable !== undefined)('every example in --help and in the docs runs', { timeout: 300_000 }, () => {
  const work = mkdtempSync(join(tmpdir(), 'bpfkit-help-'));
  const bpffs = join(work, 'bpffs');
  const all = [...helpExamples(), ...docExamples('README.md')];
  /**
   * `events` and `trace` stream until their source speaks: packages/cli/test/events.test.ts runs
   * them with a program it triggers and `--count`, which a help line cannot do.
   */
  const streaming = /^bpfkit (events|trace)\b/;
  const examples = all.filter((e) => !streaming.test(e));

  beforeAll(() => {
    symlinkSync(join(root, 'examples'), join(work, 'examples'));
    mkdirSync(bpffs);
    execFileSync('mount', ['-t', 'bpf', 'bpf', bpffs]);
  });

  afterAll(() => {
    execFileSync('umount', [bpffs]);
    rmSync(work, { recursive: true, force: true });
  });

  it('finds examples for every command', () => {
    for (const command of ['inspect', 'load', 'run', 'map dump', 'btf dump', 'gen skeleton', 'disasm', 'graph']) {
      expect(examples.some((e) => e.startsWith(`bpfkit ${command} `))).toBe(true);
    }
  });

  it('runs each in help order (load pins before map dump reads the pin): exit 0, with output', async () => {
    const failures: string[] = [];
    for (const example of examples) {
      // A private bpf filesystem stands in for /sys/fs/bpf.
      const { status, output } = await runExample(example.replaceAll('/sys/fs/bpf', bpffs), work);
      if (status !== 0 || output.length === 0) failures.push(`${example}: exit ${status}`);
    }
    expect(failures).toEqual([]);
    expect(examples.length).toBeGreaterThanOrEqual(10);
  });
});
