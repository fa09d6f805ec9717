import { chmodSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { build, type Plugin } from 'esbuild';
import { sharedOutput } from './tsup-package';

/**
 * Built-ins a bundled CommonJS dependency may `require` that Node's start-up has not loaded:
 * their modules are loaded when a property is first read, not when the dependency loads.
 * commander requires `child_process` on load, for executable subcommands bpfkit never uses,
 * and loading it (with `net`, `dgram` and their streams) was 54 million of the 85 million
 * instructions that importing commander cost a fresh process (callgrind, issue #21).
 */
const loadedOnUse = new Set(['child_process']);

/** The module a `require` of built-in `name` (without `node:`) is bundled as. */
function builtinModule(name: string): string {
  const specifier = JSON.stringify(`node:${name}`);
  if (!loadedOnUse.has(name)) return `module.exports = process.getBuiltinModule(${specifier});`;
  return `module.exports = new Proxy({}, { get: (_, key) => process.getBuiltinModule(${specifier})[key] });`;
}

/**
 * Turns a bundled CommonJS dependency's `require()` of a Node built-in into
 * `process.getBuiltinModule()` (Node 20.16+, as the CLI's engines field says): an ES module
 * has no `require`, and esbuild's stand-in for it throws ("Dynamic require of "events" is not
 * supported"). A built-in of {@link loadedOnUse} is loaded on first use. The `import`s of
 * bpfkit's own sources are left to esbuild, which keeps built-ins external on platform node.
 */
const builtinsOnDemand: Plugin = {
  name: 'builtins-on-demand',
  setup(build) {
    build.onResolve({ filter: /^(node:)?[a-z_]+$/ }, (args) => {
      if (args.kind !== 'require-call' || !isBuiltin(args.path)) return undefined;
      return { path: args.path.replace(/^node:/, ''), namespace: 'builtin' };
    });
    build.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({
      contents: builtinModule(args.path),
      loader: 'js',
    }));
  },
};

/** What {@link bundleCommand} builds. */
export interface CommandBundle {
  /** Entry points by output name, as tsup's `entry`: `{ main: 'src/main.ts' }` makes `dist/main.js`. */
  readonly entries: Record<string, string>;
  /** The package's dependencies, from its package.json: all stay imports but {@link bundled}. */
  readonly dependencies: readonly string[];
  /** Dependencies written into the command instead of imported by it. */
  readonly bundled: readonly string[];
}

/**
 * Builds a package's command (its `bin`) into `dist` with esbuild, as an ES module with a
 * shebang, written as the packages' files are ({@link sharedOutput}: minified, names kept,
 * split where it imports a module on demand), and executable. Its own step, not a tsup entry: tsup resolves
 * Node built-ins itself before any esbuild plugin sees them, so a bundled CommonJS dependency's
 * `require('events')` stayed a `require` the ES module could not run (issue #21, 527ef87).
 *
 * A fresh process then neither resolves nor parses a bundled dependency apart: for commander,
 * 100 KB of commented CommonJS source that Node's ES module loader first scans for its exports.
 */
export async function bundleCommand(bundle: CommandBundle): Promise<void> {
  const result = await build({
    entryPoints: bundle.entries,
    outdir: 'dist',
    bundle: true,
    format: 'esm',
    platform: 'node',
    external: bundle.dependencies.filter((name) => !bundle.bundled.includes(name)),
    ...sharedOutput,
    banner: { js: '#!/usr/bin/env node' },
    plugins: [builtinsOnDemand],
    logLevel: 'warning',
  });
  if (result.errors.length > 0) throw new Error(`bundleCommand: ${result.errors.length} errors`);
  for (const name of Object.keys(bundle.entries)) chmodSync(`dist/${name}.js`, 0o755);
}
