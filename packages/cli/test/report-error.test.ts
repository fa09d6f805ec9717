import * as btf from '@bpfkit/btf';
import * as syscall from '@bpfkit/syscall';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ExitCode } from '../src/exit-codes.js';
import { reportError } from '../src/report-error.js';

/** Runs reportError on `error`; returns its exit status and what it wrote to stderr. */
function report(error: unknown): { status: number; stderr: string } {
  let stderr = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  const status = reportError(error);
  return { status, stderr };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('reportError', () => {
  it.each([
    ['a RangeError', new RangeError('Cannot convert NaN to a BigInt')],
    ['a SyntaxError', new SyntaxError('Cannot convert abc to a BigInt')],
    ['a thrown string', 'boom'],
  ])('reports %s as a bug in bpfkit, not as a kernel refusal', (_what, error) => {
    const { status, stderr } = report(error);
    expect(status).toBe(ExitCode.BUG);
    expect(stderr).toMatch(/internal error: .* \(a bug in bpfkit, not a refusal by the kernel/);
  });

  it('reports bad input as such', () => {
    expect(report(new btf.BtfError('bad-record', 'no')).status).toBe(ExitCode.INPUT);
    const missing = Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT', syscall: 'open' });
    expect(report(missing).status).toBe(ExitCode.INPUT);
  });

  it.each(['EISDIR', 'EACCES', 'ENOTDIR'])(
    'reports %s on a path the user gave as bad input, not a kernel refusal',
    (code) => {
      const unreadable = Object.assign(new Error(`${code}: cannot read`), { code, syscall: 'open', path: '/x' });
      expect(report(unreadable).status).toBe(ExitCode.INPUT);
    },
  );

  it("reports reading a directory as bad input, though Node's read error names no path", () => {
    const directory = Object.assign(new Error('EISDIR: illegal operation on a directory, read'), {
      code: 'EISDIR',
      syscall: 'read',
    });
    expect(report(directory).status).toBe(ExitCode.INPUT);
  });

  it('reports a system call failing on no path as the kernel refusing', () => {
    const refused = Object.assign(new Error('EPERM: operation not permitted'), { code: 'EPERM', syscall: 'ioctl' });
    expect(report(refused).status).toBe(ExitCode.KERNEL);
  });

  it('reports a refused bpf(2) call as a kernel refusal', () => {
    expect(report(new syscall.BpfSyscallError('BPF_MAP_CREATE', 1)).status).toBe(ExitCode.KERNEL);
  });
});
