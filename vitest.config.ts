import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { projects } from './vitest.workspace';

const packages = fileURLToPath(new URL('./packages/', import.meta.url));

export default defineConfig({
  resolve: {
    // Tests import sibling packages from source, so no build is needed first.
    alias: [
      { find: /^@bpfkit\/([a-z-]+)\/node$/, replacement: `${packages}$1/src/node.ts` },
      { find: /^@bpfkit\/([a-z-]+)$/, replacement: `${packages}$1/src/index.ts` },
    ],
  },
  test: {
    projects,
    testTimeout: 30_000,
  },
});
