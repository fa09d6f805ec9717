import { defineConfig } from 'tsup';
import { bundleCommand } from '../../scripts/bundle-command';
import { packageBuild } from '../../scripts/tsup-package';
import manifest from './package.json';

export default defineConfig({
  ...packageBuild({ index: 'src/index.ts' }),
  platform: 'node',
  // The command (dist/main.js) is its own esbuild step, after the library entry (whose clean
  // would remove it). It bundles commander: `bpfkit --version` 261 million instructions with
  // commander imported, 203 million bundled (callgrind; the library entry still imports it).
  onSuccess: () =>
    bundleCommand({
      entries: { main: 'src/main.ts' },
      dependencies: Object.keys(manifest.dependencies),
      bundled: ['commander'],
    }),
});
