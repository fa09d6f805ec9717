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
/** Each failed test of either run, as `[run] file > test: first line of its failure`. */
const failures = [];
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
    for (const file of results.testResults ?? []) {
      const path = file.name.replace(`${process.cwd()}/`, '');
      const failedTests = (file.assertionResults ?? []).filter((test) => test.status === 'failed');
      // A file that failed before its tests ran (an import that threw) has no failed test to name.
      if (file.status === 'failed' && failedTests.length === 0) {
        failures.push(`[${run.label}] ${path}: ${(file.message ?? '').split('\n')[0]}`);
      }
      for (const test of failedTests) {
        const why = (test.failureMessages?.[0] ?? '').split('\n')[0];
        failures.push(`[${run.label}] ${path} > ${test.fullName}: ${why}`);
      }
    }
  } catch (error) {
    console.error(`no test report at ${run.report}: ${error.message}`);
    status ||= 1;
  }
  status ||= vitest.status ?? 1;
}
// Named again here, at the end of the log, where a reader of only its tail sees them.
if (failures.length > 0) console.log(`\nfailed:\n${failures.map((line) => `  ${line}`).join('\n')}`);
console.log(`tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(status);
