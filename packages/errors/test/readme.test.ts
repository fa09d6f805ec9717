import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codeBlocks, runTypeScript } from '@bpfkit/fixtures';
import { afterAll, describe, expect, it } from 'vitest';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('README: how a package extends the base', { timeout: 120_000 }, () => {
  const work = mkdtempSync(join(tmpdir(), 'bpfkit-errors-readme-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('runs the subclass example and prints what the README says it prints', () => {
    const blocks = codeBlocks(readme);
    const index = blocks.findIndex((b) => b.file === 'widget-error.ts');
    const example = blocks[index];
    const printed = blocks[index + 1];
    expect(example?.language).toBe('ts');
    expect(printed?.language).toBe('text');
    writeFileSync(join(work, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(join(work, 'widget-error.ts'), example?.text ?? '');
    const run = runTypeScript('widget-error.ts', work);
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    expect(run.stdout).toBe(printed?.text);
  });
});
