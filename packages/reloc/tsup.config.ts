import { defineConfig } from 'tsup';
import { packageBuild } from '../../scripts/tsup-package';

// shims: import.meta.url in the CJS build of the node entry, which loads node:zlib lazily with createRequire.
export default defineConfig({ ...packageBuild({ index: 'src/index.ts', node: 'src/node.ts' }), shims: true });
