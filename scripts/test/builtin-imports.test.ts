import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', 'packages');

/**
 * The sources `@bpfkit/loader` loads in Node: the Node-facing packages whole, and the
 * `node` entry of the pure ones.
 */
function loaderSources(): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) files.push(path);
    }
  };
  for (const name of ['syscall', 'events', 'link', 'loader']) walk(join(root, name, 'src'));
  for (const name of ['btf', 'elf', 'reloc']) files.push(join(root, name, 'src', 'node.ts'));
  return files;
}

describe('Node built-ins in the packages @bpfkit/loader loads', () => {
  // An ES module import of a built-in makes Node build its ES module facade, which reads
  // every export: for node:fs that loads node:stream (its ReadStream getter), as loading
  // node:worker_threads does. process.getBuiltinModule reads none of them (issue #15).
  it('are taken with process.getBuiltinModule, never imported as ES modules (types aside)', () => {
    const statement = /^\s*(?:import|export)\s+(?!type\b)[^'"]*?from\s*'(node:[a-z_/]+)'/gm;
    const found = loaderSources().flatMap((path) =>
      [...readFileSync(path, 'utf8').matchAll(statement)].map((m) => `${path.slice(root.length + 1)}: ${m[1]}`),
    );
    expect(found).toEqual([]);
  });
});
