import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixture } from '@bpfkit/fixtures';
import * as link from '@bpfkit/link';
import { BpfObject } from '@bpfkit/loader';
import { beforeAll, describe, expect, it } from 'vitest';
import { startStreaming } from './streaming.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const bin = join(root, 'packages/cli/dist/main.js');
const example = (name: string) => join(root, 'examples', name);
/** A streaming test starts node, loads and attaches: allow for a busy machine. */
const STREAMING_TIMEOUT = 120_000;

beforeAll(() => {
  // The tests run the built command; build it (and what it depends on) when missing.
  if (!existsSync(bin))
    execFileSync('npx', ['lerna', 'run', 'build', '--scope', '@bpfkit/cli', '--include-dependencies'], {
      cwd: root,
      stdio: 'ignore',
    });
}, 300_000);

/**
 * Runs `/bin/echo` with `token` until `seen()` holds (the watcher may attach a moment after
 * it says it is ready), and returns the pids that ran it: each is the pid that called execve.
 */
async function execUntil(token: string, seen: () => boolean): Promise<number[]> {
  const pids: number[] = [];
  for (let i = 0; i < 50 && !seen(); i++) {
    pids.push(spawnSync('/bin/echo', [token]).pid as number);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return pids;
}

describe('bpfkit events', () => {
  it(
    "attaches an object's programs and prints its ring buffer's records decoded through BTF, until Ctrl-C",
    async () => {
      const token = `bpfkit-events-${process.pid}`;
      const run = startStreaming(
        'node',
        [bin, 'events', example('execsnoop.bpf.o'), 'events', '--type', 'event', '--json'],
        root,
      );
      await run.waitFor('stderr', /Ctrl-C to stop/);
      expect(run.stderr).toContain('attached tracepoint link');
      const pids = await execUntil(token, () => run.stdout.includes(token));
      await run.waitFor('stdout', new RegExp(`${token}.*\\n`));
      expect(await run.interrupt()).toBe(0);
      const mine = run.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line).data)
        .find((event) => event.argv[1] === token);
      expect(mine).toMatchObject({ filename: '/bin/echo', argc: 2, uid: process.getuid?.() });
      expect(pids).toContain(mine.pid);
      expect(mine.argv.slice(0, 2)).toEqual(['/bin/echo', token]);
    },
    STREAMING_TIMEOUT,
  );

  it(
    'stops by itself after --count records',
    async () => {
      const run = startStreaming('node', [bin, 'events', example('execsnoop.bpf.o'), 'events', '--count', '1'], root);
      await run.waitFor('stderr', /Ctrl-C to stop/);
      let ended = false;
      void run.exited.then(() => {
        ended = true;
      });
      await execUntil(`bpfkit-count-${process.pid}`, () => ended);
      expect(await run.exited).toBe(0);
      expect(run.stdout.trim().split('\n')).toHaveLength(1);
    },
    STREAMING_TIMEOUT,
  );

  it('refuses a map that carries no events, with exit status 2', () => {
    const wrong = spawnSync('node', [bin, 'events', example('map-in-map.bpf.o'), 'tenants'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toContain("map 'tenants' is a HASH_OF_MAPS: events reads ring buffers and perf event arrays");
  });
});

describe('bpfkit trace', () => {
  it(
    "prints bpf_printk lines from a tracefs instance's trace_pipe as they come",
    async () => {
      const name = `bpfkit-cli-${process.pid}`;
      const dir = join(link.tracefsRoot('the trace test'), 'instances', name);
      mkdirSync(dir);
      try {
        writeFileSync(join(dir, 'events/bpf_trace/bpf_trace_printk/enable'), '1');
        const run = startStreaming('node', [bin, 'trace', '--instance', name, '--json', '--count', '2'], root);
        await run.waitFor('stderr', /Ctrl-C to stop/);
        {
          using obj = BpfObject.open(fixture('trace_printk').path);
          obj.load();
          for (const n of [7, 8])
            obj.program('say').testRun({ ctx: new Uint8Array(new BigUint64Array([BigInt(n)]).buffer) });
        }
        expect(await run.exited).toBe(0);
        const lines = run.stdout
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line));
        expect(lines.map((line) => line.message)).toEqual(['bpfkit says 7', 'bpfkit says 8']);
        expect(lines[0]).toMatchObject({ event: 'bpf_trace_printk', pid: process.pid });
      } finally {
        rmdirSync(dir);
      }
    },
    STREAMING_TIMEOUT,
  );
});

describe('execsnoop example', () => {
  it(
    'prints the commands this test starts, with their arguments',
    async () => {
      const token = `bpfkit-execsnoop-${process.pid}`;
      const run = startStreaming('node', ['--import', 'tsx', example('execsnoop.ts')], root);
      await run.waitFor('stdout', /PCOMM\s+PID\s+UID\s+ARGS/);
      const pids = await execUntil(token, () => run.stdout.includes(token));
      await run.waitFor('stdout', new RegExp(`/bin/echo ${token}\n`));
      const line = run.stdout.split('\n').find((l) => l.endsWith(`/bin/echo ${token}`)) as string;
      const [, pid, uid] = /^\S+\s+(\d+)\s+(\d+) /.exec(line) ?? [];
      expect(pids).toContain(Number(pid));
      expect(Number(uid)).toBe(process.getuid?.());
      // Ctrl-C ends it cleanly: the reader closes, the object closes, status 0.
      expect(await run.interrupt()).toBe(0);
    },
    STREAMING_TIMEOUT,
  );
});
