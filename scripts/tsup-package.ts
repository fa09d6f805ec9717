import type { Options } from 'tsup';

/**
 * The tsup settings every package shares: ESM and CJS with declarations, one file per
 * entry, sibling packages left as imports (they are dependencies, built first by lerna).
 *
 * Whitespace and syntax are minified, names are kept (stack traces stay readable): a fresh
 * process compiles every imported file, and the smaller source cut the import of
 * `@bpfkit/loader` by about a tenth (bench/first-load.mjs, issue #15).
 */
export function packageBuild(entries: Record<string, string>): Options {
  return {
    entry: entries,
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    platform: 'neutral',
    treeshake: true,
    ...sharedOutput,
  };
}

/**
 * How every built file is written, by tsup ({@link packageBuild}) and by the commands' own
 * esbuild step (scripts/bundle-command.ts), which both read these names: for Node 20, split
 * where a module is imported on demand, whitespace and syntax minified with names kept, and
 * source maps. Each package's tsconfig.build.json covers only its own src: its declaration
 * build then needs nothing but the built dist of the packages it depends on.
 */
export const sharedOutput = {
  sourcemap: true,
  target: 'node20',
  tsconfig: 'tsconfig.build.json',
  splitting: true,
  minifyWhitespace: true,
  minifySyntax: true,
} as const;
