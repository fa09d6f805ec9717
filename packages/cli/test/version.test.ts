import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../src/program.js';
import { version } from '../src/version.js';

describe('bpfkit --version', () => {
  it("is the CLI package's version, read from its package.json", () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(version).toBe(manifest.version);
    let printed = '';
    const program = buildProgram(() => {})
      .exitOverride()
      .configureOutput({ writeOut: (text) => (printed += text) });
    expect(() => program.parse(['--version'], { from: 'user' })).toThrow(manifest.version);
    expect(printed).toBe(`${manifest.version}\n`);
  });
});
