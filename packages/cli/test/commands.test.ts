import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bpfUnavailable } from '../../syscall/test/kernel.js';
import { bpfkitInProcess as bpfkit } from './in-process.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const example = (name: string) => join(root, 'examples', name);

describe('btf dump', () => {
  it('--format json prints what bpftool -j prints: ids, kinds, names, fields', async () => {
    const { status, output } = await bpfkit('btf', 'dump', example('map-in-map.bpf.o'), '--format', 'json');
    expect(status).toBe(0);
    const types = (JSON.parse(output) as { types: { id: number; kind: string; name: string }[] }).types;
    expect(types[0]).toEqual({ id: 1, kind: 'PTR', name: '(anon)', type_id: 3 });
    expect(types.find((t) => t.name === 'tenant_counters')).toMatchObject({ kind: 'STRUCT', size: 32, vlen: 4 });
  });

  it('--type on a variable prints its type and the variable', async () => {
    const { status, output } = await bpfkit(
      'btf',
      'dump',
      example('map-in-map.bpf.o'),
      '--type',
      'acme',
      '--format',
      'c',
    );
    expect(status).toBe(0);
    expect(output).toContain('struct tenant_counters {');
    expect(output).toContain('struct tenant_counters acme;');
  });

  it('--type on a function says the C dump has nothing to print for it, and exits 2', async () => {
    const args = ['btf', 'dump', example('map-in-map.bpf.o'), '--type', 'count_tenant', '--format', 'c', '--json'];
    const { status, output } = await bpfkit(...args);
    expect(status).toBe(2);
    expect(JSON.parse(output).error.message).toMatch(/'count_tenant' is a func: the C dump prints/);
  });
});

describe.skipIf(bpfUnavailable() !== undefined)('load --pin', () => {
  const work = mkdtempSync(join(tmpdir(), 'bpfkit-pin-'));
  const bpffs = join(work, 'bpffs');
  beforeAll(() => {
    mkdirSync(bpffs);
    execFileSync('mount', ['-t', 'bpf', 'bpf', bpffs]);
  });
  afterAll(() => {
    execFileSync('umount', [bpffs]);
    rmSync(work, { recursive: true, force: true });
  });

  it('--pin-maps pins every map (dots as _) beside the programs', async () => {
    const dir = join(bpffs, 'all');
    const { status } = await bpfkit('load', example('map-in-map.bpf.o'), '--pin', dir, '--pin-maps');
    expect(status).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['acme', 'globex', 'initech', 'map_in_m_data', 'progs', 'tenants']);
    expect(readdirSync(join(dir, 'progs'))).toEqual(['count_tenant']);
    const dump = await bpfkit('map', 'dump', join(dir, 'tenants'), '--json');
    expect((JSON.parse(dump.output) as { key: number }[]).map((r) => r.key).sort()).toEqual([1, 2, 7]);
  });

  it('leaves nothing behind when a pin fails, and says why in JSON', async () => {
    const dir = join(bpffs, 'clash');
    // The program's pin clashes with a directory already there; the maps would have pinned after it.
    mkdirSync(join(dir, 'progs', 'count_tenant'), { recursive: true });
    const { status, output } = await bpfkit('load', example('map-in-map.bpf.o'), '--pin', dir, '--pin-maps', '--json');
    expect(status).toBe(1);
    expect(JSON.parse(output).error.message).toMatch(/EEXIST/);
    expect(readdirSync(dir)).toEqual(['progs']);
    expect(readdirSync(join(dir, 'progs'))).toEqual(['count_tenant']);
  });

  it('removes the progs directory it created when pinning fails', async () => {
    const dir = join(bpffs, 'fresh');
    mkdirSync(dir);
    // A map pin clashes: the program pinned first must go again, and progs/ with it.
    mkdirSync(join(dir, 'tenants'));
    const { status } = await bpfkit('load', example('map-in-map.bpf.o'), '--pin', dir, '--pin-maps');
    expect(status).toBe(1);
    expect(readdirSync(dir)).toEqual(['tenants']);
    expect(existsSync(join(dir, 'progs'))).toBe(false);
  });
});

describe.skipIf(bpfUnavailable() !== undefined)('load -v', () => {
  it('with --json, keeps standard output one JSON document and writes the step log to standard error', async () => {
    const { status, output, stderr } = await bpfkit('load', example('map-in-map.bpf.o'), '-v', '--json');
    expect(status).toBe(0);
    expect(JSON.parse(output).maps.map((m: { name: string }) => m.name)).toContain('tenants');
    expect(stderr).toMatch(/map 'tenants': slot \[7\] set to map 'initech' fd=\d+/);
    expect(output).not.toContain('prototype created');
  });
});
