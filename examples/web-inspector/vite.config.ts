import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const packages = fileURLToPath(new URL('../../packages/', import.meta.url));

// The pure packages straight from source; a Node-only import would fail the browser build.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  resolve: {
    alias: [{ find: /^@bpfkit\/(errors|uapi|elf|btf|maps|reloc)$/, replacement: `${packages}$1/src/index.ts` }],
  },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
});
