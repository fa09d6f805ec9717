// What the attribute tests share (load-attributes.test.ts, link's attach-attributes.test.ts):
// running a command under strace, optionally in a mount namespace of its own prepared by a
// shell script, and the directories the logs go to.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { privateBpffs } from './kernel.js';

/** Options for {@link traced}. */
export interface TraceOptions {
  /** The calls strace shows (`-e trace=`). */
  readonly calls?: string;
  /**
   * A shell script run first in a mount namespace of the command's own (mounts made there
   * vanish with it), to show the command a machine other than this one.
   */
  readonly setup?: string;
  /** Show each fd with the path it refers to (`-y`), as writes to tracefs files need. */
  readonly paths?: boolean;
}

/**
 * Runs `args` under `strace -f -v` (with `-y`, fds shown with their paths), writing the log to
 * `output`, and returns the log, whatever the command's exit status (refusals are expected).
 */
export function traced(args: string[], output: string, options: TraceOptions = {}): string {
  const strace = [
    'strace',
    '-f',
    '-v',
    ...(options.paths === true ? ['-y'] : []),
    '-s',
    '256',
    '-e',
    `trace=${options.calls ?? 'bpf'}`,
    '-o',
    output,
  ];
  const command =
    options.setup === undefined
      ? [...strace, ...args]
      : [
          'unshare',
          '--mount',
          '--propagation',
          'private',
          'sh',
          '-c',
          `${options.setup}\nexec "$@"`,
          'sh',
          ...strace,
          ...args,
        ];
  const run = spawnSync(command[0] as string, command.slice(1), { encoding: 'utf8' });
  expect(run.error).toBeUndefined();
  return readFileSync(output, 'utf8');
}

/** A private bpffs and a log directory for the enclosing describe block, made before and removed after it. */
export function straceDirs(): { bpffs: ReturnType<typeof privateBpffs>; logs: string } {
  const dirs = {} as { bpffs: ReturnType<typeof privateBpffs>; logs: string };
  beforeAll(() => {
    dirs.bpffs = privateBpffs();
    dirs.logs = mkdtempSync(join(tmpdir(), 'bpfkit-strace-'));
  });
  afterAll(() => {
    dirs.bpffs.unmount();
    rmSync(dirs.logs, { recursive: true, force: true });
  });
  return dirs;
}
