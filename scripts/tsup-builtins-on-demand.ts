import { isBuiltin } from 'node:module';
import type { Options } from 'tsup';

type Plugin = NonNullable<Options['esbuildPlugins']>[number];

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
 * An esbuild plugin for bundling a CommonJS dependency into an ES module: its `require()` of
 * a Node built-in becomes `process.getBuiltinModule()` (Node 20.16+), as an ES module has no
 * `require`, and a built-in of {@link loadedOnUse} is loaded on first use. Only `require()`
 * calls are rewritten: the `import`s of bpfkit's own sources stay as they are.
 */
export const builtinsOnDemand: Plugin = {
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
