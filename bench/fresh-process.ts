// Groups of rows measured in a fresh node process of their own, as libbpf's side already is
// (each of its figures runs the C harness in a process of its own).
//
// Why (issue #15): the object load rows, measured in the process that had run the groups
// before them, were slower the more those groups had done (percpu_maps 0.27 ms alone,
// 1.14 ms after the map calls group, 9.4 ms in the full table). What those groups leave is
// glibc's heap, large and fragmented (ffi-napi allocates on every call; the batch rows free
// megabyte buffers), and a load takes about fifteen ArrayBuffer backing stores from it. Two
// processes loading side by side in the same seconds: the one that had run the map calls
// group loaded 1.5–3.7× slower, and after malloc_trim(0) it no longer did. bpfkit's own
// state did not grow (open descriptors, JS heap; kernel objects not counted). In-process, those rows
// measured what the earlier rows left behind.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Figure } from './table.js';

/** The flag that tells `bench/run.ts` it is the fresh process: measure here, spawn nothing. */
export const inThisProcessFlag = '--in-this-process';

/**
 * Runs `script` (bench/run.ts) again in a fresh node process, with this process's Node flags
 * and `args` (its --quick and --corpus), measuring only `group`, and returns that group's
 * figures. Its progress lines go to this process's stderr.
 */
export function figuresInFreshProcess(script: string, group: string, args: readonly string[]): Figure[] {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-bench-group-'));
  try {
    const json = join(dir, 'figures.json');
    const run = spawnSync(
      process.execPath,
      [...process.execArgv, script, ...args, '--only', group, '--json', json, inThisProcessFlag],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    if (run.status !== 0)
      throw new Error(`bench: group ${group} failed in its own process (${run.status ?? run.signal})`);
    return (JSON.parse(readFileSync(json, 'utf8')) as { figures: Figure[] }).figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
