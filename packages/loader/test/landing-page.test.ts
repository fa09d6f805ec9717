import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { codeBlocks, requireTool, runTypeScript } from '@bpfkit/fixtures';
import { afterAll, describe, expect, it } from 'vitest';
import { bpfUnavailable } from '../../syscall/test/kernel.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const page = readFileSync(join(root, 'docs/index.md'), 'utf8');
const ready = bpfUnavailable() === undefined && requireTool('setpriv', 'util-linux');

/**
 * The command that runs what follows it as root but with only `capabilities` (`bpf`, `perfmon`…) in its bounding
 * set, so it can gain no others: what a service given those capabilities can do.
 */
function withCapabilities(capabilities: readonly string[]): string[] {
  const bounding = ['-all', ...capabilities.map((c) => `+${c}`)].join(',');
  return ['setpriv', '--bounding-set', bounding, '--inh-caps', '-all'];
}

/** The capability table's rows: the program types in backquotes, and the capabilities the row names. */
function capabilityRows(): { types: string[]; capabilities: string[] }[] {
  const section = page.slice(page.indexOf('### Capabilities'), page.indexOf('### Kernel versions'));
  return section
    .split('\n')
    .filter((line) => line.startsWith('| ') && /CAP_BPF/.test(line) && !line.includes('---'))
    .map((line) => {
      const [, , typesCell, needsCell] = line.split('|');
      return {
        types: [...(typesCell ?? '').matchAll(/`([A-Z_]+)`/g)].map((m) => m[1] as string),
        capabilities: [...(needsCell ?? '').matchAll(/CAP_([A-Z_]+)/g)].map((m) => (m[1] as string).toLowerCase()),
      };
    });
}

/** Types the table names that need an attach target (a BTF id or a program) to load at all. */
const needAttachTarget = new Set(['TRACING', 'LSM', 'STRUCT_OPS', 'EXT']);

describe.skipIf(!ready)('docs/index.md, the landing page', { timeout: 300_000 }, () => {
  const work = mkdtempSync(join(tmpdir(), 'bpfkit-landing-page-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  /** Runs `file` (in the work folder, or a test helper's path) with only `capabilities`. */
  function run(capabilities: readonly string[], file: string, args: readonly string[] = []) {
    return runTypeScript(file, work, { args, prefix: withCapabilities(capabilities) });
  }

  it("shows the bundled object's source as it is", () => {
    const [source] = codeBlocks(page).filter((b) => b.language === 'c');
    expect(source?.text).toBe(readFileSync(join(root, 'examples/tracepoint.bpf.c'), 'utf8'));
  });

  it('runs the first program with CAP_BPF and CAP_PERFMON only, and it prints what the page says', () => {
    const blocks = codeBlocks(page);
    const index = blocks.findIndex((b) => b.file === 'count-kills.ts');
    expect(blocks[index + 1]?.language).toBe('text');
    writeFileSync(join(work, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(join(work, 'count-kills.ts'), blocks[index]?.text ?? '');
    copyFileSync(join(root, 'examples/tracepoint.bpf.o'), join(work, 'tracepoint.bpf.o'));
    const result = run(['bpf', 'perfmon'], 'count-kills.ts');
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    expect(result.stdout).toBe(blocks[index + 1]?.text);
    // With CAP_BPF alone the tracepoint program is refused, as the capability table says.
    const refused = run(['bpf'], 'count-kills.ts');
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(
      /LoadError: .*prog 'count_kill'.*EPERM — TRACEPOINT programs need CAP_PERFMON besides CAP_BPF/,
    );
  });

  it("capability table: each row's capabilities load its program types, and CAP_BPF alone loads only the first row's (the others refused with a hint naming the row's capability)", () => {
    const rows = capabilityRows();
    expect(rows.map((r) => r.capabilities)).toEqual([['bpf'], ['bpf', 'perfmon'], ['bpf', 'net_admin']]);
    const child = fileURLToPath(new URL('./load-program-types.ts', import.meta.url));
    const outcomes = (capabilities: readonly string[], types: readonly string[]) => {
      const result = run(capabilities, child, types);
      expect(result.stderr).toBe('');
      return JSON.parse(result.stdout) as Record<string, string>;
    };
    const bpfOnly = outcomes(
      ['bpf'],
      rows.flatMap((r) => r.types.filter((t) => !needAttachTarget.has(t))),
    );
    for (const [index, row] of rows.entries()) {
      const types = row.types.filter((t) => !needAttachTarget.has(t));
      expect(types.length).toBeGreaterThan(0);
      const loaded = outcomes(row.capabilities, types);
      expect(loaded).toEqual(Object.fromEntries(types.map((t) => [t, 'ok'])));
      // Refused with CAP_BPF alone, with a hint that names the capability the row adds.
      const missing = row.capabilities.filter((c) => c !== 'bpf').map((c) => `CAP_${c.toUpperCase()}`);
      const expectedAlone = (t: string) =>
        index === 0
          ? 'ok'
          : expect.stringMatching(new RegExp(`^EPERM: ${t} programs need ${missing.join(' and ')} besides CAP_BPF`));
      expect(Object.fromEntries(types.map((t) => [t, bpfOnly[t]]))).toEqual(
        Object.fromEntries(types.map((t) => [t, expectedAlone(t)])),
      );
    }
  });
});
