import { fileURLToPath } from 'node:url';
import type { Options } from 'tsup';

const buildTsconfig = fileURLToPath(new URL('../tsconfig.build.json', import.meta.url));

/**
 * The tsup settings every package shares: ESM and CJS with declarations, one file per
 * entry, sibling packages left as imports (they are dependencies, built first by lerna).
 */
export function packageBuild(entries: Record<string, string>): Options {
  return {
    entry: entries,
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node20',
    platform: 'neutral',
    tsconfig: buildTsconfig,
    splitting: true,
    treeshake: true,
  };
}
