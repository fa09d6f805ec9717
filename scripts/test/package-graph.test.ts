import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mayUse, purePackages } from '../package-graph.js';

const root = join(import.meta.dirname, '..', '..', 'packages');
const packages = readdirSync(root).filter((name) => !name.startsWith('.'));

/** The `@bpfkit/<name>` package names a package's manifest depends on (any kind of dependency but dev). */
function declared(name: string): string[] {
  const manifest = JSON.parse(readFileSync(join(root, name, 'package.json'), 'utf8'));
  const all = { ...manifest.dependencies, ...manifest.peerDependencies, ...manifest.optionalDependencies };
  return Object.keys(all)
    .filter((dep) => dep.startsWith('@bpfkit/'))
    .map((dep) => dep.slice('@bpfkit/'.length));
}

/** The `@bpfkit/<name>` packages a package's sources import (subpaths such as `/node` count as the package). */
function imported(name: string): Map<string, string> {
  const found = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) {
        // Import and export statements only: a line that starts with one (code generators hold such lines in strings).
        const statements = /^\s*(?:import|export)\b[^'"]*?from\s*'@bpfkit\/([a-z-]+)/gm;
        for (const match of readFileSync(path, 'utf8').matchAll(statements)) {
          found.set(match[1] as string, path.slice(root.length + 1));
        }
      }
    }
  };
  walk(join(root, name, 'src'));
  return found;
}

describe('the package graph', () => {
  it('has a may-use row for every package', () => {
    expect(packages.filter((name) => mayUse[name] === undefined)).toEqual([]);
  });

  it('has no cycle, and pure packages use pure packages only', () => {
    const visiting = new Set<string>();
    const visit = (name: string, path: string[]): void => {
      if (path.includes(name)) throw new Error(`cycle: ${[...path, name].join(' -> ')}`);
      if (visiting.has(name)) return;
      for (const dep of mayUse[name] ?? []) visit(dep, [...path, name]);
      visiting.add(name);
    };
    for (const name of Object.keys(mayUse)) visit(name, []);
    for (const name of purePackages)
      expect((mayUse[name] ?? []).filter((dep) => !purePackages.includes(dep))).toEqual([]);
  });

  it.each(packages)("%s's manifest depends only on packages it may use", (name) => {
    expect(declared(name).filter((dep) => !(mayUse[name] ?? []).includes(dep))).toEqual([]);
  });

  it.each(packages)("%s's sources import only packages its manifest depends on", (name) => {
    const deps = declared(name);
    const undeclared = [...imported(name)].filter(([dep]) => dep !== name && !deps.includes(dep));
    expect(undeclared.map(([dep, file]) => `${file} imports @bpfkit/${dep}`)).toEqual([]);
  });
});
