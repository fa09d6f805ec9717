// `npm run compat -- DIR [--json FILE] [--timeout SECONDS]`: loads every `.o` under DIR with
// libbpf (`bpftool prog loadall`) and with bpfkit, and compares the kernel's translated
// instructions of each program both loaded (map ids normalised). One line per object, then a
// summary; docs/compat.md explains the output. Needs root (it mounts a private bpffs).
//   BPFKIT_BPFTOOL        the bpftool to run as libbpf's side (default `bpftool` on PATH)
//   BPFKIT_COMPAT_LOADER  instead of bpftool, a program run as `LOADER OBJECT PIN_DIR` that loads
//                         the object and pins each loaded program by name (scripts/compat-libbpf.c)
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BpfkitResult } from './compat-load.js';
import { objectsUnder } from './corpus-objects.js';

/** Everything the run found out about one object. */
interface ObjectResult {
  readonly object: string;
  readonly libbpf: { readonly loaded: boolean; readonly error?: string };
  readonly bpfkit: BpfkitResult;
  /** Whether every program's translated instructions match; `null` unless both loaded. */
  readonly identical: boolean | null;
}

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const childScript = join(repoRoot, 'scripts', 'compat-load.ts');

function option(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  if (at < 0) return undefined;
  const value = args[at + 1];
  if (value === undefined) throw new Error(`${name} needs a value`);
  args.splice(at, 2);
  return value;
}

/** The line of bpftool's output that says why libbpf failed. */
function libbpfReason(stderr: string): string {
  const lines = stderr.split('\n').filter((line) => line.trim() !== '');
  const libbpf = lines.filter((line) => line.startsWith('libbpf:') && !/skipping|retrying|ignoring/i.test(line));
  const reason = libbpf.find((line) =>
    /fail|error|invalid|not supported|unsupported|can't|cannot|unknown|refus|missing/i.test(line),
  );
  return reason ?? libbpf[0] ?? lines.at(-1) ?? 'no output';
}

/** How a child that did not finish ended, as an error line. */
function abnormalEnd(run: ReturnType<typeof spawnSync>, timeoutSeconds: number): string {
  if (run.error !== undefined && (run.error as NodeJS.ErrnoException).code === 'ETIMEDOUT')
    return `timed out after ${timeoutSeconds} s`;
  if (run.signal !== null) return `crashed (${run.signal})`;
  return `exited with status ${run.status}: ${String(run.stderr).trim().split('\n').at(-1) ?? ''}`;
}

/** libbpf's side: `bpftool prog loadall`, or a loader of the same contract given by path. */
interface LibbpfLoader {
  readonly command: string;
  readonly kind: 'bpftool' | 'loader';
}

function loadWithLibbpf(loader: LibbpfLoader, object: string, programs: string, timeoutSeconds: number) {
  // A mount namespace of its own with a fresh bpffs on /sys/fs/bpf, so that maps pinned by
  // name never touch the machine's; the programs are pinned in our private bpffs.
  const load = loader.kind === 'bpftool' ? '"$0" prog loadall "$1" "$2"' : '"$0" "$1" "$2"';
  const run = spawnSync(
    'unshare',
    [
      '-m',
      '--propagation',
      'private',
      'sh',
      '-c',
      `mount -t bpf bpf /sys/fs/bpf && exec ${load}`,
      loader.command,
      object,
      programs,
    ],
    { encoding: 'utf8', timeout: timeoutSeconds * 1000 },
  );
  if (run.status === 0) return { loaded: true, arenas: arenasMapped(run.stdout) };
  return { loaded: false, error: run.status === null ? abnormalEnd(run, timeoutSeconds) : libbpfReason(run.stderr) };
}

/** The `arena NAME ADDRESS SIZE` lines a loader prints (scripts/compat-libbpf.c), as JSON for the child. */
function arenasMapped(stdout: string): string {
  const arenas = [...stdout.matchAll(/^arena (\S+) (0x[0-9a-f]+) (\d+)$/gm)].map(([, name, start, size]) => ({
    name,
    start,
    size,
  }));
  return JSON.stringify(arenas);
}

function loadWithBpfkit(
  object: string,
  pinRoot: string,
  programs: string,
  arenas: string,
  timeoutSeconds: number,
): BpfkitResult {
  const run = spawnSync(process.execPath, ['--import', 'tsx', childScript, object, pinRoot, programs, arenas], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: timeoutSeconds * 1000,
  });
  const line = run.status === 0 ? run.stdout.trim().split('\n').at(-1) : undefined;
  return line === undefined ? { loaded: false, error: abnormalEnd(run, timeoutSeconds) } : JSON.parse(line);
}

function describeResult(r: ObjectResult, width: number): string {
  const yes = (b: boolean) => (b ? 'yes' : 'no ');
  const differing = [...new Set((r.bpfkit.differences ?? []).map((d) => d.program))].join(', ');
  const identical = r.identical === null ? '-  ' : r.identical ? 'yes' : `no (${differing})`;
  const error = r.bpfkit.loaded ? '' : `  ${r.bpfkit.error}`;
  return `${r.object.padEnd(width)}  libbpf ${yes(r.libbpf.loaded)}  bpfkit ${yes(r.bpfkit.loaded)}  identical ${identical}${error}`.trimEnd();
}

function summary(results: readonly ObjectResult[]): string {
  const libbpf = results.filter((r) => r.libbpf.loaded).length;
  const bpfkit = results.filter((r) => r.bpfkit.loaded).length;
  const both = results.filter((r) => r.libbpf.loaded && r.bpfkit.loaded).length;
  const identical = results.filter((r) => r.identical === true).length;
  return `${results.length} objects: libbpf loads ${libbpf}, bpfkit loads ${bpfkit} (${both} of ${libbpf}), translated instructions identical for ${identical} of ${both}`;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const jsonPath = option(args, '--json');
  const timeoutSeconds = Number(option(args, '--timeout') ?? '60');
  const [dir] = args;
  if (dir === undefined || args.length !== 1 || !(timeoutSeconds > 0)) {
    console.error('usage: npm run compat -- DIR [--json FILE] [--timeout SECONDS]');
    return 2;
  }
  const custom = process.env.BPFKIT_COMPAT_LOADER;
  const loader: LibbpfLoader =
    custom === undefined
      ? { command: process.env.BPFKIT_BPFTOOL ?? 'bpftool', kind: 'bpftool' }
      : { command: resolve(custom), kind: 'loader' };
  const objects = objectsUnder(resolve(dir));
  const width = Math.max(0, ...objects.map((o) => relative(resolve(dir), o).length));
  const bpffs = mkdtempSync(join(tmpdir(), 'bpfkit-compat-'));
  const mount = spawnSync('mount', ['-t', 'bpf', 'bpf', bpffs], { encoding: 'utf8' });
  if (mount.status !== 0) {
    rmSync(bpffs, { recursive: true, force: true });
    console.error(`compat: cannot mount a private bpffs (run as root): ${mount.stderr.trim()}`);
    return 1;
  }
  const results: ObjectResult[] = [];
  // Interrupted: stop after the object at hand (checked between objects, when the event loop
  // turns and the handler has run), then unmount.
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => (stopping = true));
  try {
    for (const [index, object] of objects.entries()) {
      const work = join(bpffs, String(index));
      const [programs, pinRoot] = [join(work, 'libbpf'), join(work, 'bpfkit')];
      mkdirSync(pinRoot, { recursive: true });
      const { arenas = '[]', ...libbpf } = loadWithLibbpf(loader, object, programs, timeoutSeconds);
      const bpfkit = loadWithBpfkit(object, pinRoot, programs, arenas, timeoutSeconds);
      rmSync(work, { recursive: true, force: true });
      await new Promise((next) => setImmediate(next));
      if (stopping) break; // a Ctrl-C reached the children too: this object's result is not one
      const identical = libbpf.loaded && bpfkit.loaded ? (bpfkit.differences ?? []).length === 0 : null;
      const result = { object: relative(resolve(dir), object), libbpf, bpfkit, identical };
      results.push(result);
      console.log(describeResult(result, width));
      if (jsonPath !== undefined) writeFileSync(jsonPath, `${JSON.stringify({ results }, null, 2)}\n`);
    }
  } finally {
    spawnSync('umount', [bpffs]);
    rmSync(bpffs, { recursive: true, force: true });
  }
  const line = summary(results);
  console.log(line);
  if (jsonPath !== undefined) writeFileSync(jsonPath, `${JSON.stringify({ summary: line, results }, null, 2)}\n`);
  return 0;
}

process.exitCode = await main();
