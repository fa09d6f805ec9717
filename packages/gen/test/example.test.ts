import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generateSkeleton } from '@bpfkit/gen';
import { describe, expect, it } from 'vitest';
import { bpfUnavailable } from '../../loader/test/kernel.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const unavailable = bpfUnavailable();

describe('the kill-watch example, a tool written on a generated skeleton', () => {
  it('has its skeleton generated from its object as committed (regenerate it with the command in kill-watch.ts)', () => {
    const text = generateSkeleton(new Uint8Array(readFileSync(`${root}examples/kill-watch.bpf.o`)), {
      object: 'kill-watch.bpf.o',
      objectPath: './kill-watch.bpf.o',
      events: { events: 'kill_event' },
    });
    expect(readFileSync(`${root}examples/kill-watch.skel.ts`, 'utf8')).toBe(text);
  });

  it.skipIf(unavailable !== undefined)(
    'runs: typed rodata filter, tracepoint attached, live counter, array element and switch, typed events',
    { timeout: 120_000 },
    () => {
      const run = spawnSync('npx', ['tsx', 'examples/kill-watch.ts'], {
        cwd: root,
        encoding: 'utf8',
        timeout: 100_000,
      });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      const lines = run.stdout.trim().split('\n');
      expect(lines[0]).toBe("kill(2) calls seen while enabled: 3, signal 0's count from 100: 103");
      expect(lines.slice(1)).toHaveLength(3);
      for (const line of lines.slice(1)) expect(line).toMatch(/^\S+ \((\d+)\) sent signal 0 to \1$/);
    },
  );
});
