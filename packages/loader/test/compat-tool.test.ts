import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixture, requireTool } from '@bpfkit/fixtures';
import { afterAll, describe, expect, it } from 'vitest';
import { bpfUnavailable } from './kernel.js';

const unavailable = bpfUnavailable();
const bpftool = requireTool('bpftool', 'bpftool', 'version');
const cc = requireTool('cc', 'gcc');
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

describe.skipIf(unavailable !== undefined || !bpftool || !cc)('npm run compat (scripts/compat.ts)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-compat-test-'));
  const objects = join(dir, 'objects');
  mkdirSync(objects);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // One object each: both load it alike, only bpfkit loads it, neither does.
  for (const name of ['globals_subprogs', 'legacy_maps', 'bad_verifier'])
    copyFileSync(fixture(name).path, join(objects, `${name}.el.o`));

  // libbpf's side through bpftool, or through our loader built against the system's libbpf.
  const loaderEnv = (loader: string): Record<string, string> => {
    if (loader === 'bpftool prog loadall') return {};
    const binary = join(dir, 'compat-libbpf');
    execFileSync('cc', ['-O2', '-o', binary, join(repoRoot, loader), '-lbpf']);
    return { BPFKIT_COMPAT_LOADER: binary };
  };

  it.each(['bpftool prog loadall', 'scripts/compat-libbpf.c'])(
    'prints a line per object and a summary, and writes the same as JSON (%s)',
    (loader) => {
      const env = loaderEnv(loader);
      const json = join(dir, 'results.json');
      const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/compat.ts', objects, '--json', json], {
        cwd: repoRoot,
        encoding: 'utf8',
        env: { ...process.env, ...env },
      });
      expect(run.status, run.stderr).toBe(0);
      const lines = run.stdout.trimEnd().split('\n');
      expect(lines).toHaveLength(4);
      expect(lines[0]).toMatch(
        /^bad_verifier\.el\.o +libbpf no +bpfkit no +identical - +object 'bad_verifier\.el\.o': prog 'unchecked': BPF program load failed: EACCES/,
      );
      expect(lines[1]).toMatch(/^globals_subprogs\.el\.o +libbpf yes +bpfkit yes +identical yes$/);
      expect(lines[2]).toMatch(/^legacy_maps\.el\.o +libbpf no +bpfkit yes +identical -$/);
      const summary =
        '3 objects: libbpf loads 1, bpfkit loads 2 (1 of 1), translated instructions identical for 1 of 1';
      expect(lines[3]).toBe(summary);

      const report = JSON.parse(readFileSync(json, 'utf8'));
      expect(report.summary).toBe(summary);
      const globals = report.results.find((r: { object: string }) => r.object === 'globals_subprogs.el.o');
      expect(globals).toMatchObject({
        libbpf: { loaded: true },
        bpfkit: { loaded: true, differences: [] },
        identical: true,
      });
      expect(globals.bpfkit.programs.length).toBeGreaterThan(0);
      const legacy = report.results.find((r: { object: string }) => r.object === 'legacy_maps.el.o');
      expect(legacy.libbpf).toMatchObject({ loaded: false });
      expect(legacy.libbpf.error).toMatch(/^libbpf: .*legacy map definitions/);
    },
    120_000,
  );

  it('stops after the object at hand on SIGTERM, still printing the summary', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/compat.ts', objects], { cwd: repoRoot });
    let output = '';
    child.stdout.on('data', (chunk) => {
      if (output === '') child.kill('SIGTERM');
      output += chunk;
    });
    const status = await new Promise((done) => child.on('close', done));
    expect(status).toBe(0);
    const lines = output.trimEnd().split('\n');
    expect(lines.length).toBeLessThan(4);
    expect(lines.at(-1)).toMatch(new RegExp(`^${lines.length - 1} objects: libbpf loads`));
  }, 120_000);

  it('refuses a missing directory argument with its usage', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/compat.ts'], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('usage: npm run compat -- DIR');
  });
});
