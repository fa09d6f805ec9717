import { defineConfig } from 'tsup';
import { builtinsOnDemand } from '../../scripts/tsup-builtins-on-demand';
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
    // The command bundles commander, minified, its built-ins required on demand: a fresh
    // process then neither parses commander's 100 KB of commented source nor loads
    // child_process, which it requires on load (`bpfkit --version`: 258 million instructions
    // before, 200 million after; the library entry above still imports commander).
    noExternal: ['commander'],
    esbuildPlugins: [builtinsOnDemand],
  },
]);
