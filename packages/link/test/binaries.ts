import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const source = new URL('./programs/probed.c', import.meta.url).pathname;

/** Why the probed test program cannot be built here (no C compiler or no `<sys/sdt.h>`), or `undefined`. */
export function probedUnavailable(): string | undefined {
  try {
    execFileSync('cc', ['-E', '-include', 'sys/sdt.h', '-x', 'c', '/dev/null'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'cc or <sys/sdt.h> (systemtap-sdt-dev) is missing';
  }
}

/** The test program `programs/probed.c`, built as a PIE and a non-PIE executable in a fresh directory. */
export function buildProbed(): { pie: string; noPie: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-link-'));
  const pie = join(dir, 'probed-pie');
  const noPie = join(dir, 'probed-nopie');
  execFileSync('cc', ['-O1', '-g', '-fPIE', '-pie', '-o', pie, source]);
  execFileSync('cc', ['-O1', '-g', '-fno-pie', '-no-pie', '-o', noPie, source]);
  return { pie, noPie, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs a probed binary: `calls` calls of bpfkit_target; returns its exit status. */
export function runProbed(path: string, calls: number): number {
  try {
    execFileSync(path, [String(calls)]);
    return 0;
  } catch (error) {
    return (error as { status: number }).status;
  }
}

/** The test program `programs/congestion.c`, built in a fresh directory. */
export function buildCongestion(): { path: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-link-'));
  const path = join(dir, 'congestion');
  execFileSync('cc', ['-O1', '-o', path, new URL('./programs/congestion.c', import.meta.url).pathname]);
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Runs a loopback TCP connection choosing congestion control `name`: the algorithm the
 * socket then reports, or the kernel's refusal (`refused: …`) when none has that name.
 */
export function connectWithCongestion(program: string, name: string): string {
  try {
    return execFileSync(program, [name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (error) {
    const { status, stderr } = error as { status: number; stderr: string };
    if (status === 2) return `refused: ${stderr.trim()}`;
    throw error;
  }
}
