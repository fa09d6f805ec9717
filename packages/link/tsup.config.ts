import { defineConfig } from 'tsup';
import { packageBuild } from '../../scripts/tsup-package';

// shims: import.meta.url in the CJS build, for loading rarely needed Node built-ins lazily with createRequire.
export default defineConfig({ ...packageBuild({ index: 'src/index.ts' }), platform: 'node', shims: true });
