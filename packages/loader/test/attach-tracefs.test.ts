import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireTool, runTypeScript } from '@bpfkit/fixtures';
import { afterAll, describe, expect, it } from 'vitest';
import { bpfUnavailable } from '../../syscall/test/kernel.js';

const ready = bpfUnavailable() === undefined && requireTool('unshare', 'util-linux');
const child = fileURLToPath(new URL('./attach-tracepoint-once.ts', import.meta.url));

/** Runs the child in a mount namespace of its own from which tracefs has been unmounted. */
function withoutTracefs(cwd: string, args: readonly string[] = []) {
  const unmountThenRun = 'umount /sys/kernel/tracing && exec "$0" "$@"';
  const prefix = ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', unmountThenRun];
  const result = runTypeScript(child, cwd, { prefix, args });
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

describe.skipIf(!ready)('attach() and tracefs', { timeout: 120_000 }, () => {
  const work = mkdtempSync(join(tmpdir(), 'bpfkit-tracefs-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('never mounts tracefs: without it a tracepoint attach is refused, saying so and how to mount it', () => {
    const outcome = withoutTracefs(work);
    expect(outcome).toMatchObject({ before: false, attached: false, code: 'not-supported', after: false });
    expect(outcome.message).toMatch(
      /program 'count_kill'.*tracepoint syscalls\/sys_enter_kill needs tracefs, and none is mounted/,
    );
    expect(outcome.hint).toMatch(/mount -t tracefs nodev \/sys\/kernel\/tracing.*mountTracefs\(\)/);
  });

  it('attaches once the program asks for tracefs with mountTracefs()', () => {
    expect(withoutTracefs(work, ['mount'])).toEqual({ before: false, attached: true, after: true });
  });
});
