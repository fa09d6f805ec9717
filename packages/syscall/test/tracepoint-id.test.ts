import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BpfSyscallError, tracepointId } from '../src/index.js';

const root = mkdtempSync(join(tmpdir(), 'bpfkit-tracefs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A tracefs-like tree whose tracepoint `test/<name>` has `id` as its id file. */
function event(name: string, id: string): void {
  mkdirSync(join(root, 'events', 'test', name), { recursive: true });
  writeFileSync(join(root, 'events', 'test', name, 'id'), id);
}

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('tracepointId', () => {
  it('reads a decimal id', () => {
    event('good', '1234\n');
    expect(tracepointId('test', 'good', [root])).toBe(1234);
  });

  it.each(['abc', '', '12abc', '-1', '99999999999999999999'])('refuses the id file %j with EINVAL, naming it', (id) => {
    event('bad', id);
    const error = thrown(() => tracepointId('test', 'bad', [root]));
    expect(BpfSyscallError.is(error)).toBe(true);
    expect((error as BpfSyscallError).errnoName).toBe('EINVAL');
    expect((error as BpfSyscallError).context.path).toBe(join(root, 'events/test/bad/id'));
  });

  it('says ENOENT, naming where it looked, for a tracepoint no tracefs has', () => {
    const error = thrown(() => tracepointId('test', 'missing', [root]));
    expect(BpfSyscallError.is(error)).toBe(true);
    expect((error as BpfSyscallError).code).toBe('not-found');
    expect((error as Error).message).toContain('test/missing');
  });
});
