import type { ChildProcess } from 'node:child_process';

/**
 * The lines a child process (started with its output piped) prints, one at a time: `nextLine()` resolves with the next one
 * (rejects once the child exited or failed to start), `exited` once it exited.
 */
export function childLines(
  child: ChildProcess,
  name: string,
): { nextLine: () => Promise<string>; exited: Promise<void> } {
  const stdout = child.stdout;
  if (stdout === null) throw new Error(`${name} was started without a pipe for its output`);
  const waiting: { resolve: (line: string) => void; reject: (error: Error) => void }[] = [];
  let pending = '';
  stdout.setEncoding('utf8');
  stdout.on('data', (data: string) => {
    pending += data;
    for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
      const line = pending.slice(0, end);
      pending = pending.slice(end + 1);
      waiting.shift()?.resolve(line);
    }
  });
  let ended: Error | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (status, signal) => {
      ended = new Error(`${name} exited (${status ?? signal})`);
      for (const waiter of waiting.splice(0)) waiter.reject(ended);
      resolve();
    }),
  );
  child.once('error', (error) => {
    ended = error;
    for (const waiter of waiting.splice(0)) waiter.reject(error);
  });
  const nextLine = () =>
    new Promise<string>((resolve, reject) => {
      if (ended !== undefined) reject(ended);
      else waiting.push({ resolve, reject });
    });
  return { nextLine, exited };
}
