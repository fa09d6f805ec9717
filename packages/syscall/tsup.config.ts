import { defineConfig } from 'tsup';
import { packageBuild } from '../../scripts/tsup-package';

// shims: import.meta.url in the CJS build, for loading the FFI lazily with createRequire.
export default defineConfig({ ...packageBuild({ index: 'src/index.ts' }), platform: 'node', shims: true });
