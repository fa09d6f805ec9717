// Runs every package's tests with vitest (koffi FFI), then the kernel-facing projects again
// with BPFKIT_FFI=ffi-napi, and prints one closing line any CI reader understands:
// "tests: N passed, N failed, N skipped". Exits non-zero when either run failed.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';

mkdirSync('test-results', { recursive: true });

const deps = spawnSync('bash', ['scripts/install-system-deps'], { stdio: 'inherit' });
if (deps.status !== 0) process.exit(deps.status ?? 1);

const runs = [
  { label: 'all packages (koffi)', report: 'test-results/vitest.json', args: [], env: {} },
  {
    label: 'kernel packages (ffi-napi)',
    report: 'test-results/vitest-ffi-napi.json',
    args: [
      '--project',
      'syscall',
      '--project',
      'events',
      '--project',
      'link',
      '--project',
      'loader',
      '--project',
      'gen',
    ],
    env: { BPFKIT_FFI: 'ffi-napi' },
  },
];

const totals = { passed: 0, failed: 0, skipped: 0 };
let status = 0;
for (const run of runs) {
  console.log(`\n=== ${run.label}`);
  const vitest = spawnSync(
    'npx',
    [
      'vitest',
      'run',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${run.report}`,
      ...run.args,
      ...process.argv.slice(2),
    ],
    { stdio: 'inherit', env: { ...process.env, ...run.env } },
  );
  try {
    const results = JSON.parse(readFileSync(run.report, 'utf8'));
    totals.passed += results.numPassedTests;
    totals.failed += results.numFailedTests;
    totals.skipped += results.numPendingTests + results.numTodoTests;
  } catch (error) {
    console.error(`no test report at ${run.report}: ${error.message}`);
    status ||= 1;
  }
  status ||= vitest.status ?? 1;
}
console.log(`tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(status);
