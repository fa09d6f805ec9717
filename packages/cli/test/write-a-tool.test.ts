import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { codeBlocks, requireTool, runTypeScript } from '@bpfkit/fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bpfUnavailable } from '../../syscall/test/kernel.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const tsx = join(root, 'node_modules/.bin/tsx');
const ready = bpfUnavailable() === undefined && requireTool('clang-19', 'clang-19');

describe.skipIf(!ready)('docs/write-a-tool.md: every code block runs, in order', { timeout: 600_000 }, () => {
  const work = mkdtempSync(join(tmpdir(), 'bpfkit-write-a-tool-'));
  const bpffs = join(work, 'bpffs');
  const bin = join(work, 'bin');
  const env = {
    ...process.env,
    NO_COLOR: '1',
    PATH: `${bin}:${process.env.PATH}`,
    PIN_DIR: bpffs,
    TSX_TSCONFIG_PATH: join(root, 'tsconfig.json'),
  };
  const blocks = codeBlocks(readFileSync(join(root, 'docs/write-a-tool.md'), 'utf8'));

  beforeAll(() => {
    mkdirSync(bpffs);
    mkdirSync(bin);
    // The guide's tool is an ES module (top-level await), as in a package with "type": "module".
    writeFileSync(join(work, 'package.json'), '{ "type": "module" }\n');
    execFileSync('mount', ['-t', 'bpf', 'bpf', bpffs]);
    // `bpfkit` is this checkout's command line, run from source.
    writeFileSync(join(bin, 'bpfkit'), `#!/bin/sh\nexec ${tsx} ${join(root, 'packages/cli/src/main.ts')} "$@"\n`);
    chmodSync(join(bin, 'bpfkit'), 0o755);
  });

  afterAll(() => {
    execFileSync('umount', [bpffs]);
    rmSync(work, { recursive: true, force: true });
  });

  it('has shell, C and TypeScript blocks', () => {
    expect(blocks.map((b) => b.language)).toEqual(['sh', 'c', 'sh', 'ts', 'sh', 'ts']);
  });

  it('runs them: the header, the object, the tool and its output, the pin, the trap-free loop', () => {
    const outputs: string[] = [];
    for (const [index, block] of blocks.entries()) {
      const file = block.file ?? `block-${index}.${block.language}`;
      writeFileSync(join(work, file), block.text);
      if (block.language === 'c') continue;
      const run =
        block.language === 'sh'
          ? spawnSync('bash', ['-eo', 'pipefail', file], { cwd: work, env, encoding: 'utf8' })
          : runTypeScript(file, work, { env });
      expect({ block: index, status: run.status, stderr: run.stderr }).toEqual({
        block: index,
        status: 0,
        stderr: '',
      });
      outputs.push(run.stdout);
    }
    const [header, inspect, tool, dump, loop] = outputs as [string, string, string, string, string];
    expect(Number(header.trim())).toBeGreaterThanOrEqual(1);
    expect(inspect).toContain('on_exec');
    expect(tool.match(/^exec: pid \d+ true$/gm)).toHaveLength(3);
    expect(tool).toMatch(/^execs: 3 \(attached through /m);
    expect(tool).toContain('name length 4: ### 3');
    expect(JSON.parse(dump)).toContainEqual({ key: 4, value: 3 });
    expect(loop).toMatch(/^tool\.bpf\.o: 1 program\(s\)\nmissing\.bpf\.o: /);
  });
});
