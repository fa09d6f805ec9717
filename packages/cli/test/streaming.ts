import { type ChildProcess, spawn } from 'node:child_process';

/** A command that prints as it goes, watched as it runs. */
export interface Streaming {
  readonly child: ChildProcess;
  /** Everything printed on standard output so far. */
  readonly stdout: string;
  /** Everything printed on standard error so far. */
  readonly stderr: string;
  /** Settles when `stream` has printed something matching `pattern`; fails when the command ends first or after `timeoutMs`. */
  waitFor(stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Settles with the exit status once the command ends. */
  readonly exited: Promise<number>;
  /** Sends SIGINT (Ctrl-C) and settles with the exit status. */
  interrupt(): Promise<number>;
}

/** Starts `command` in `cwd`, without colours, collecting its output. */
export function startStreaming(command: string, args: readonly string[], cwd: string): Streaming {
  const child = spawn(command, args, { cwd, env: { ...process.env, NO_COLOR: '1' } });
  const output = { stdout: '', stderr: '' };
  const listeners = new Set<() => void>();
  const changed = () => {
    for (const listener of [...listeners]) listener();
  };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output.stdout += chunk;
    changed();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    output.stderr += chunk;
    changed();
  });
  let ended = false;
  const exited = new Promise<number>((resolve) =>
    child.once('close', (code, signal) => {
      ended = true;
      changed();
      resolve(code ?? (signal === null ? -1 : 128));
    }),
  );
  return {
    child,
    get stdout() {
      return output.stdout;
    },
    get stderr() {
      return output.stderr;
    },
    waitFor(stream, pattern, timeoutMs = 60_000) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (pattern.test(output[stream])) done(undefined);
          else if (ended)
            done(new Error(`ended before ${stream} matched ${pattern}:\n${output.stdout}\n${output.stderr}`));
        };
        const timer = setTimeout(
          () =>
            done(
              new Error(`${stream} did not match ${pattern} in ${timeoutMs} ms:\n${output.stdout}\n${output.stderr}`),
            ),
          timeoutMs,
        );
        const done = (error: Error | undefined) => {
          clearTimeout(timer);
          listeners.delete(check);
          if (error === undefined) resolve();
          else reject(error);
        };
        listeners.add(check);
        check();
      });
    },
    exited,
    interrupt() {
      child.kill('SIGINT');
      return exited;
    },
  };
}
