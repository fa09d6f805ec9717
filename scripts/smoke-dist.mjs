// Loads every built package from its dist/ through its package name, once as ESM (import)
// and once as CJS (require), and runs the package's test/dist-smoke.mjs check on each; then
// starts each package's built commands (its `bin`) with --version.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
let passed = 0;
let failed = 0;

for (const dir of readdirSync('packages')) {
  const smokeFile = `packages/${dir}/test/dist-smoke.mjs`;
  if (!existsSync(smokeFile)) continue;
  const { name } = JSON.parse(readFileSync(`packages/${dir}/package.json`, 'utf8'));
  const { default: smoke } = await import(pathToFileURL(smokeFile).href);
  for (const [format, load] of [
    ['esm', () => import(name)],
    ['cjs', async () => require(name)],
  ]) {
    try {
      await smoke(await load());
      console.log(`ok   ${name} (${format})`);
      passed++;
    } catch (error) {
      console.error(`FAIL ${name} (${format}): ${error.stack ?? error}`);
      failed++;
    }
  }
}
// A command bundles what its package imports (and may rewrite how): it must start as built.
for (const dir of readdirSync('packages')) {
  const { name, version, bin } = JSON.parse(readFileSync(`packages/${dir}/package.json`, 'utf8'));
  for (const [command, path] of Object.entries(bin ?? {})) {
    const run = spawnSync(process.execPath, [`packages/${dir}/${path}`, '--version'], { encoding: 'utf8' });
    if (run.status === 0 && run.stdout.trim() === version) {
      console.log(`ok   ${name}: ${command} --version`);
      passed++;
    } else {
      console.error(`FAIL ${name}: ${command} --version exited ${run.status}: ${run.stderr || run.stdout}`);
      failed++;
    }
  }
}
console.log(`dist smoke: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
