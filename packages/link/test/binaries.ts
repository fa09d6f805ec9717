import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childLines } from './child-lines.js';

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

/**
 * The test programs `programs/probed-host.c` (a PIE executable) and `programs/probed-library.c`
 * (`libprobed.so`, which the executable links), built in a fresh directory.
 */
export function buildProbedHost(): { host: string; library: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-link-'));
  const library = join(dir, 'libprobed.so');
  const host = join(dir, 'probed-host');
  const program = (name: string) => new URL(`./programs/${name}`, import.meta.url).pathname;
  execFileSync('cc', ['-O1', '-g', '-fPIC', '-shared', '-o', library, program('probed-library.c')]);
  execFileSync('cc', [
    '-O1',
    '-g',
    '-fPIE',
    '-pie',
    '-o',
    host,
    program('probed-host.c'),
    library,
    `-Wl,-rpath,${dir}`,
  ]);
  return { host, library, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A running `probed-host`: its pid, a way to fire its probes, and to end it. */
export interface RunningHost {
  /** The process id. */
  readonly pid: number;
  /** Fires the executable's or the library's probe `calls` times; resolves once it did. */
  fire(where: 'exec' | 'library', calls: number): Promise<void>;
  /** Closes its standard input and waits for it to exit. */
  stop(): Promise<void>;
}

/** Starts `probed-host` at `path` and resolves once it is ready (its library loaded). */
export async function startProbedHost(path: string): Promise<RunningHost> {
  const child = spawn(path, [], { stdio: ['pipe', 'pipe', 'inherit'] });
  const { nextLine, exited } = childLines(child, 'probed-host');
  const ready = await nextLine();
  if (ready !== 'ready') throw new Error(`probed-host printed '${ready}' instead of 'ready'`);
  return {
    pid: child.pid as number,
    async fire(where, calls) {
      const fired = nextLine();
      child.stdin.write(`${where} ${calls}\n`);
      const line = await fired;
      if (line !== 'fired') throw new Error(`probed-host printed '${line}' instead of 'fired'`);
    },
    async stop() {
      child.stdin.end();
      await exited;
    },
  };
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
