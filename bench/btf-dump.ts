// `btf dump` rows of `npm run bench`: the built `bpfkit btf dump /sys/kernel/btf/vmlinux` as a
// user runs it (a fresh process, output to /dev/null), C and JSON, beside `bpftool btf dump
// file … format c` and `bpftool -j btf dump file …` from the same run, alternating.
import { spawnSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { medianOf } from './load.js';
import type { Figure } from './table.js';

const vmlinux = '/sys/kernel/btf/vmlinux';
const cli = 'packages/cli/dist/main.js';

/**
 * The environment both commands run in: this one without NODE_EXTRA_CA_CERTS, which some
 * sandboxes set (these machines do) and which makes every `node` parse a CA bundle before
 * it runs any script (node -e 0: some 60 ms with it, 25 ms without, here). A user's shell
 * seldom has it, bpftool ignores it, and no btf dump opens a TLS connection.
 */
const environment = Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'NODE_EXTRA_CA_CERTS'));

/** Wall time in ms of one run of `command`, its output discarded; throws when it fails. */
function timed(command: string, args: readonly string[]): number {
  const devNull = openSync('/dev/null', 'w');
  try {
    const started = performance.now();
    const run = spawnSync(command, args, { stdio: ['ignore', devNull, 'pipe'], env: environment });
    const elapsed = performance.now() - started;
    if (run.status !== 0) throw new Error(`bench: ${command} ${args.join(' ')} failed: ${run.stderr}`);
    return elapsed;
  } finally {
    closeSync(devNull);
  }
}

/** Median times of `ours` and `theirs` run alternately `runs` times. */
function alternate(runs: number, ours: () => number, theirs: () => number): { ours: number; theirs: number } {
  const a: number[] = [];
  const b: number[] = [];
  for (let run = 0; run < runs; run++) {
    a.push(ours());
    b.push(theirs());
  }
  return { ours: medianOf(a), theirs: medianOf(b) };
}

/** vmlinux as C (target ≤ 1.5× bpftool, issue #21) and as bpftool's JSON. */
export function btfDumpFigures(quick: boolean): Figure[] {
  const runs = quick ? 3 : 9;
  const c = alternate(
    runs,
    () => timed('node', [cli, 'btf', 'dump', vmlinux, '--format', 'c']),
    () => timed('bpftool', ['btf', 'dump', 'file', vmlinux, 'format', 'c']),
  );
  const json = alternate(
    runs,
    () => timed('node', [cli, 'btf', 'dump', vmlinux, '--format', 'json']),
    () => timed('bpftool', ['-j', 'btf', 'dump', 'file', vmlinux]),
  );
  return [
    {
      name: 'btf dump vmlinux --format c (a fresh process)',
      unit: 'ms',
      ours: c.ours,
      reference: c.theirs,
      referenceName: 'bpftool btf dump … format c',
      target: 1.5,
    },
    {
      name: 'btf dump vmlinux --format json (a fresh process)',
      unit: 'ms',
      ours: json.ours,
      reference: json.theirs,
      referenceName: 'bpftool -j btf dump',
      target: undefined,
    },
  ];
}
