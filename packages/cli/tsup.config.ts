import { defineConfig } from 'tsup';
import { packageBuild } from '../../scripts/tsup-package';

export default defineConfig([
  { ...packageBuild({ index: 'src/index.ts' }), platform: 'node' },
  {
    ...packageBuild({ main: 'src/main.ts' }),
    platform: 'node',
    format: ['esm'],
    dts: false,
    clean: false,
    banner: { js: '#!/usr/bin/env node' },
  },
]);
