import { defineConfig } from 'tsup';
import { packageBuild } from '../../scripts/tsup-package';

// shims: import.meta.url in the CJS build of the node entry, which loads node:zlib lazily with createRequire.
// external: the node entry imports the package's main entry by its name, so both share one
// module at run time instead of a chunk file beside them: one ES module fewer to load (issue #15).
export default defineConfig({
  ...packageBuild({ index: 'src/index.ts', node: 'src/node.ts' }),
  shims: true,
  external: ['@bpfkit/reloc'],
});
