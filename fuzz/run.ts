/**
 * `npm run fuzz -- [--runs N] [--seed S] [--target NAME ...]`: feeds mutated fixtures to
 * every parser entry point, and structure-aware inputs (BTF type graphs and chains, objects
 * with many slots; a tenth as many runs, as each is larger) to the stages they stress, and
 * reports, per target, how many inputs ran, how many were rejected with a typed error, any
 * other exception (a finding, saved under `fuzz/findings/`), the slowest input, and heap
 * growth. Exits 1 on any finding.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { applyMutations, fuzzCases } from './mutate.js';
import { type StructuredTarget, structuredTargets } from './structures.js';
import { type FuzzTarget, isTypedError, targets } from './targets.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '1' },
    target: { type: 'string', multiple: true },
  },
});
const runs = Number(values.runs);
const seed = Number(values.seed);
const chosen = values.target ?? [...targets, ...structuredTargets].map((t) => t.name);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

interface Report {
  target: string;
  inputs: number;
  rejected: number;
  findings: number;
  slowestMs: number;
  over100ms: number;
  heapGrowthMb: number;
  seconds: number;
}

/** One fuzz input: how to run it, and the bytes to save (with their extension) when it is a finding. */
interface FuzzInput {
  run(): void;
  saved(): Uint8Array;
  extension: string;
}

/** Runs every input of `target`, timing each one (not its making) and measuring heap growth. */
function measure(target: FuzzTarget | StructuredTarget, inputs: Iterable<FuzzInput>): Report {
  const report: Report = {
    target: target.name,
    inputs: 0,
    rejected: 0,
    findings: 0,
    slowestMs: 0,
    over100ms: 0,
    heapGrowthMb: 0,
    seconds: 0,
  };
  const started = performance.now();
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  for (const input of inputs) {
    const t0 = performance.now();
    try {
      input.run();
    } catch (error) {
      if (isTypedError(error)) report.rejected++;
      else recordFinding(target, report, input.saved(), error, input.extension);
    }
    const ms = performance.now() - t0;
    report.slowestMs = Math.max(report.slowestMs, ms);
    if (ms > 100) report.over100ms++;
    report.inputs++;
  }
  gc();
  report.heapGrowthMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
  report.seconds = (performance.now() - started) / 1000;
  return report;
}

/** Mutated fixtures for a byte-level target, sampled in chunks so memory stays flat. */
function* mutatedInputs(target: FuzzTarget): Generator<FuzzInput> {
  const chunk = 10_000;
  for (let done = 0; done < runs; done += chunk) {
    const cases = fc.sample(fuzzCases(target.seeds.length), {
      numRuns: Math.min(chunk, runs - done),
      seed: seed + done,
    });
    for (const c of cases) {
      const bytes = applyMutations(target.seeds[c.seed] as Uint8Array, c.mutations);
      yield { run: () => target.run(bytes, c.seed), saved: () => bytes, extension: 'bin' };
    }
  }
}

/** Structure-aware inputs (a tenth of the runs, as each is larger), saved as their JSON description. */
function* structuredInputs(target: StructuredTarget): Generator<FuzzInput> {
  for (const input of fc.sample(target.arbitrary, { numRuns: Math.max(1, Math.ceil(runs / 10)), seed })) {
    yield {
      run: () => target.run(input),
      saved: () => new TextEncoder().encode(target.describe(input)),
      extension: 'json',
    };
  }
}

function recordFinding(
  target: FuzzTarget | StructuredTarget,
  report: Report,
  input: Uint8Array,
  error: unknown,
  extension: string,
): void {
  report.findings++;
  if (report.findings > 5) return;
  mkdirSync('fuzz/findings', { recursive: true });
  const file = `fuzz/findings/${target.name}-${report.findings}.${extension}`;
  writeFileSync(file, input);
  console.error(
    `${target.name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n  input saved to ${file}`,
  );
}

const reports = [
  ...targets.filter((t) => chosen.includes(t.name)).map((t) => measure(t, mutatedInputs(t))),
  ...structuredTargets.filter((t) => chosen.includes(t.name)).map((t) => measure(t, structuredInputs(t))),
];
console.table(
  reports.map((r) => ({
    ...r,
    slowestMs: Number(r.slowestMs.toFixed(2)),
    heapGrowthMb: Number(r.heapGrowthMb.toFixed(1)),
    seconds: Number(r.seconds.toFixed(1)),
  })),
);
if (reports.some((r) => r.findings > 0)) process.exit(1);
