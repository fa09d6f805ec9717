import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixture } from '@bpfkit/fixtures';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const bin = join(root, 'packages/cli/dist/main.js');
const example = (name: string) => join(root, 'examples', name);

/** Runs the built `bpfkit` as a person would; returns stdout, stderr and the exit status. */
function bpfkit(...args: string[]): { stdout: string; stderr: string; status: number } {
  return spawnBpfkit([], args);
}

/** Runs the built `bpfkit` with every capability dropped (util-linux `setpriv`), as root without CAP_BPF. */
function unprivilegedBpfkit(...args: string[]): { stdout: string; stderr: string; status: number } {
  return spawnBpfkit(['setpriv', '--bounding-set=-all', '--inh-caps=-all', '--'], args);
}

function spawnBpfkit(prefix: string[], args: string[]): { stdout: string; stderr: string; status: number } {
  const [command, ...rest] = [...prefix, 'node', bin, ...args] as [string, ...string[]];
  const run = spawnSync(command, rest, {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { stdout: run.stdout, stderr: run.stderr, status: run.status ?? -1 };
}

beforeAll(() => {
  // The tests run the built command; build it (and what it depends on) when missing.
  if (!existsSync(bin))
    execFileSync('npx', ['lerna', 'run', 'build', '--scope', '@bpfkit/cli', '--include-dependencies'], {
      cwd: root,
      stdio: 'ignore',
    });
}, 300_000);

describe('bpfkit', () => {
  it('inspects an object without loading it, and exits 0', () => {
    const { stdout, status } = bpfkit('inspect', example('map-in-map.bpf.o'));
    expect(status).toBe(0);
    expect(stdout).toContain('count_tenant  xdp      XDP   XDP');
    expect(stdout).toMatch(
      /tenants\s+btf\s+HASH_OF_MAPS\s+4\s+4\s+16 .*ARRAY key 4 value 8 max 2\s+\[1\] = acme, \[2\] = globex, \[7\] = initech/,
    );
    expect(stdout).toContain('No problems found.');
  });

  it('reports what would fail to load, and exits 2', () => {
    const { stdout, status } = bpfkit('inspect', fixture('bad_slot_mismatch').path, '--json');
    expect(status).toBe(2);
    expect(JSON.parse(stdout).problems).toEqual([
      "object 'bad_slot_mismatch.el.o': map 'outer': slot [1]: points to map 'wide' whose value_size 8 differs from the inner definition's 4",
    ]);
  });

  it('reports a CO-RE relocation the running kernel cannot satisfy, as load would', () => {
    const { stdout, status } = bpfkit('inspect', fixture('bad_core_load_size').path, '--json');
    expect(status).toBe(2);
    expect(JSON.parse(stdout).problems).toEqual([
      expect.stringMatching(/prog 'bad_load_size': insn #\d+: .*2 bytes wide but the local field is 8/),
    ]);
  });

  it('loads with the libbpf-style step log (on stderr, as libbpf prints it)', () => {
    const { stdout, stderr, status } = bpfkit('load', example('map-in-map.bpf.o'), '-v');
    expect(status).toBe(0);
    expect(stderr).toMatch(/map 'tenants.inner': prototype created, fd=\d+/);
    expect(stderr).toMatch(/map 'tenants': slot \[7\] set to map 'initech' fd=\d+/);
    expect(stderr).toContain("map 'tenants.inner': prototype closed");
    expect(stdout).toMatch(/count_tenant\s+\d+\s+xdp\s+\d+/);
  });

  it('explains a verifier rejection in one paragraph with the source line, and exits 1', () => {
    const { stderr, status } = bpfkit('load', fixture('bad_verifier').path);
    expect(status).toBe(1);
    expect(stderr).toMatch(
      /error: .*prog 'unchecked': BPF program load failed: EACCES at insn \d+ \(bad_verifier\.bpf\.c:\d+: \*value \+= 1;/,
    );
    expect(stderr).toContain('verifier log (last lines):');
    expect(stderr).toContain("invalid mem access 'map_value_or_null'");
  });

  it('sets constants before load', () => {
    const { stdout, status } = bpfkit('load', fixture('globals_subprogs').path, '--const', 'threshold=3', '--json');
    expect(status).toBe(0);
    expect(JSON.parse(stdout).programs.map((p: { name: string }) => p.name)).toEqual(['entry', 'second']);
    expect(bpfkit('load', fixture('globals_subprogs').path, '--const', 'nope=1').status).toBe(2);
  });

  it('runs a program with BPF_PROG_TEST_RUN', () => {
    const { stdout, status } = bpfkit(
      'run',
      example('tail-calls.bpf.o'),
      'dispatch',
      '--data',
      `02${'00'.repeat(20)}`,
      '--json',
    );
    expect(status).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ program: 'dispatch', retval: 2 });
    expect(bpfkit('run', example('tail-calls.bpf.o'), 'nope').status).toBe(2);
  });

  it('dumps a map through BTF', () => {
    const { stdout, status } = bpfkit('map', 'dump', fixture('globals_subprogs').path, '.data', '--json');
    expect(status).toBe(0);
    expect(JSON.parse(stdout)).toEqual([{ key: 0, value: { counter: 7 } }]);
  });

  it('dumps BTF as C that names the map definition', () => {
    const { stdout, status } = bpfkit(
      'btf',
      'dump',
      example('map-in-map.bpf.o'),
      '--format',
      'c',
      '--type',
      'tenant_counters',
    );
    expect(status).toBe(0);
    expect(stdout).toContain('struct tenant_counters {');
    expect(bpfkit('btf', 'dump', example('map-in-map.bpf.o'), '--format', 'raw').stdout).toMatch(
      /\[\d+\] STRUCT 'tenant_counters' size=32 vlen=4/,
    );
  });

  it('disassembles with source lines and map annotations', () => {
    const { stdout, status } = bpfkit('disasm', example('map-in-map.bpf.o'));
    expect(status).toBe(0);
    expect(stdout).toMatch(/; void \*table = bpf_map_lookup_elem\(&tenants, &tenant\); @ map-in-map\.bpf\.c:\d+/);
    expect(stdout).toMatch(/r1 = 0x0 ll {2}; map 'tenants'/);
  });

  it('draws every map and slot edge as SVG', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bpfkit-graph-'));
    try {
      const file = join(dir, 'graph.svg');
      expect(bpfkit('graph', example('map-in-map.bpf.o'), '-o', file).status).toBe(0);
      const svg = readFileSync(file, 'utf8');
      expect(svg).toMatch(/^<\?xml|<svg/);
      for (const name of ['tenants', 'acme', 'globex', 'initech', 'count_tenant'])
        expect(svg).toContain(`>${name}</text>`);
      for (const slot of ['slot [1]', 'slot [2]', 'slot [7]']) expect(svg).toContain(`>${slot}</text>`);
      const mermaid = bpfkit('graph', example('tail-calls.bpf.o'), '--format', 'mermaid').stdout;
      expect(mermaid).toContain('map_handlers -. "slot [2]" .-> prog_handle_count');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('generates a typed skeleton beside its object, or with the object embedded', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bpfkit-gen-'));
    try {
      const file = join(dir, 'kill-watch.skel.ts');
      const path = example('kill-watch.bpf.o');
      expect(bpfkit('gen', 'skeleton', path, '--event', 'events=kill_event', '-o', file).status).toBe(0);
      const text = readFileSync(file, 'utf8');
      expect(text).toContain('export class KillWatch {');
      expect(text).toContain('readonly events: events.RingBuffer<kill_event>;');
      expect(text).toContain(`new URL('${relative(dir, path)}', import.meta.url)`);
      const embedded = bpfkit('gen', 'skeleton', path, '--embed', '--name', 'Watcher');
      expect(embedded.status).toBe(0);
      expect(embedded.stdout).toContain('export class Watcher {');
      expect(embedded.stdout).toContain('rt.decodeBase64(EMBEDDED_OBJECT)');
      const missing = bpfkit('gen', 'skeleton', path, '--type', 'no_such_type');
      expect(missing.status).toBe(2);
      expect(missing.stderr).toContain("no struct, union, typedef or enum named 'no_such_type'");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('documents its commands and exit codes, and rejects bad input with 2', () => {
    const help = bpfkit('--help');
    expect(help.status).toBe(0);
    for (const command of ['inspect', 'load', 'run', 'map', 'btf', 'disasm', 'graph'])
      expect(help.stdout).toContain(command);
    expect(help.stdout).toContain('2  bad input');
    expect(bpfkit('inspect', '/etc/hostname').status).toBe(2);
    expect(bpfkit('frobnicate').status).toBe(2);
  });
});

describe('examples', () => {
  const tsx = (name: string) => execFileSync('npx', ['tsx', example(name)], { cwd: root, encoding: 'utf8' });

  it('map-in-map.ts counts per tenant and repoints a slot', () => {
    const out = tsx('map-in-map.ts');
    expect(out).toContain('initech: 1 packets, 256 bytes');
    expect(out).toContain('tenant 9: dropped (no table)');
    expect(out).toMatch(/tenant 7 -> map id (\d+) \(acme is \1\)/);
  });

  it('custom-loader.ts loads map-in-map from the stage packages alone, runs it and closes what it opened', () => {
    const out = tsx('custom-loader.ts');
    expect(out).toContain('maps created: acme, globex, initech, tenants, map_in_m.data');
    expect(out).toContain("prog 'count_tenant' loaded");
    expect(out).toContain('test run: retval 2, acme: 1 packets, 100 bytes');
    expect(out).toMatch(/closed \d+ descriptors/);
  });

  it('tail-calls.ts dispatches through declarative slots', () => {
    const out = tsx('tail-calls.ts');
    expect(out).toContain('selector 0: XDP_DROP');
    expect(out).toContain('selector 5: XDP_ABORTED');
    expect(out).toContain('handle_count ran 2 times');
  });

  it('tracepoint.ts attaches and reads the map', () => {
    expect(tsx('tracepoint.ts')).toContain('kill(2) calls by this process: 3');
  });
});

describe('bpfkit without capabilities', () => {
  it.each([
    ['load', example('map-in-map.bpf.o')],
    ['run', example('tail-calls.bpf.o'), 'dispatch', '--data', '00'.repeat(24)],
    ['map', 'dump', example('map-in-map.bpf.o'), 'tenants'],
  ])('%s fails with an error that says which privilege is missing', (...args) => {
    const { stderr, status } = unprivilegedBpfkit(...args);
    expect(status).toBe(1);
    expect(stderr).toMatch(/EPERM — needs CAP_BPF or CAP_SYS_ADMIN/);
    expect(stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
  });

  it.each([
    ['inspect', example('map-in-map.bpf.o')],
    ['btf', 'dump', example('map-in-map.bpf.o')],
    ['disasm', example('tail-calls.bpf.o')],
    ['graph', example('tail-calls.bpf.o'), '--format', 'mermaid'],
  ])('%s needs no privilege: it only reads the object', (...args) => {
    const { stdout, status } = unprivilegedBpfkit(...args);
    expect(status).toBe(0);
    expect(stdout.length).toBeGreaterThan(0);
  });
});

describe('bpfkit inspect without capabilities', () => {
  it('still checks against the kernel BTF, and says the feature probes were skipped', () => {
    const { stdout, status } = unprivilegedBpfkit('inspect', fixture('bad_helpers').path, '--json');
    expect(status).toBe(2);
    const { problems, notes } = JSON.parse(stdout) as { problems: string[]; notes: string[] };
    expect(problems).toEqual(["prog 'future_helper': insn #0: calls helper #999, which this kernel does not have"]);
    expect(notes).toEqual([expect.stringMatching(/^feature probes skipped: .*needs CAP_BPF/)]);
  });
});
