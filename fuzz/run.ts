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

function fuzz(target: FuzzTarget): Report {
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
  const chunk = 10_000;
  for (let done = 0; done < runs; done += chunk) {
    const cases = fc.sample(fuzzCases(target.seeds.length), {
      numRuns: Math.min(chunk, runs - done),
      seed: seed + done,
    });
    for (const c of cases) {
      const input = applyMutations(target.seeds[c.seed] as Uint8Array, c.mutations);
      const t0 = performance.now();
      try {
        target.run(input, c.seed);
      } catch (error) {
        if (isTypedError(error)) report.rejected++;
        else recordFinding(target, report, input, error);
      }
      const ms = performance.now() - t0;
      report.slowestMs = Math.max(report.slowestMs, ms);
      if (ms > 100) report.over100ms++;
      report.inputs++;
    }
  }
  gc();
  report.heapGrowthMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
  report.seconds = (performance.now() - started) / 1000;
  return report;
}

function fuzzStructured(target: StructuredTarget): Report {
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
  for (const input of fc.sample(target.arbitrary, { numRuns: Math.max(1, Math.ceil(runs / 10)), seed })) {
    const t0 = performance.now();
    try {
      target.run(input);
    } catch (error) {
      if (isTypedError(error)) report.rejected++;
      else recordFinding(target, report, new TextEncoder().encode(target.describe(input)), error, 'json');
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

function recordFinding(
  target: FuzzTarget | StructuredTarget,
  report: Report,
  input: Uint8Array,
  error: unknown,
  extension = 'bin',
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
  ...targets.filter((t) => chosen.includes(t.name)).map(fuzz),
  ...structuredTargets.filter((t) => chosen.includes(t.name)).map(fuzzStructured),
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
