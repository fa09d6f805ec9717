// Runs every package's tests with vitest, then prints one closing line that any CI
// reader understands: "tests: N passed, N failed, N skipped". Exits with vitest's status.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';

const report = 'test-results/vitest.json';
mkdirSync('test-results', { recursive: true });

const deps = spawnSync('bash', ['scripts/install-system-deps'], { stdio: 'inherit' });
if (deps.status !== 0) process.exit(deps.status ?? 1);

const vitest = spawnSync(
  'npx',
  ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)],
  { stdio: 'inherit' },
);

try {
  const results = JSON.parse(readFileSync(report, 'utf8'));
  const skipped = results.numPendingTests + results.numTodoTests;
  console.log(`tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped`);
} catch (error) {
  console.error(`no test report at ${report}: ${error.message}`);
  process.exit(vitest.status || 1);
}
process.exit(vitest.status ?? 1);
