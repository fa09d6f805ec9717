// Object load rows of `npm run bench` (issue #15): open + load, open alone and a fresh
// process's first load, each beside libbpf's on the same objects, summarised as median ratios.
// The objects are a corpus of real-world objects (`--corpus DIR`, repeatable, or
// `BPFKIT_BENCH_CORPUS=DIR[:DIR…]`; docs/compat.md tells how to build one; never committed),
// else the fixtures libbpf loads. Only objects both libbpf and bpfkit load are timed.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { libbpfComparableFixtures } from '@bpfkit/fixtures';
import { BpfObject } from '@bpfkit/loader';
import { backgroundBatchesSettled } from '@bpfkit/syscall';
import { objectsUnder } from '../scripts/corpus-objects.js';
import type { Figure } from './table.js';

/** What the load rows run on and how long. */
export interface LoadBenchOptions {
  readonly quick: boolean;
  /** Corpus folders given with `--corpus` or `BPFKIT_BENCH_CORPUS`; none: the fixtures. */
  readonly corpus: readonly string[];
  /** The C harness (bench/libbpf-bench.c), built. */
  readonly harness: string;
}

/** One object's figures, in ms (cold: one fresh process per sample). */
interface ObjectTimes {
  readonly name: string;
  readonly core: boolean;
  readonly load: readonly [ours: number, libbpf: number];
  readonly open: readonly [ours: number, libbpf: number];
  readonly cold: readonly [ours: number, libbpf: number];
}

const firstLoadScript = fileURLToPath(new URL('./first-load.mjs', import.meta.url));

/** The median of `values` (the mean of the middle two for an even count). */
export function medianOf(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  return sorted.length % 2 === 1
    ? (sorted[Math.floor(middle)] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** A bpffs mounted on a fresh folder, so that maps pinned by name stay private to the run. */
function mountBpffs(): { readonly dir: string; unmount(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-bench-bpffs-'));
  execFileSync('mount', ['-t', 'bpf', 'bpf', dir]);
  return {
    dir,
    unmount() {
      execFileSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Runs one figure of the C harness in a mount namespace of its own with a fresh bpffs on
 * /sys/fs/bpf (libbpf pins maps there by name); its median in ms, or `undefined` when it failed.
 */
function libbpfMs(harness: string, figure: string, object: string, count: number): number | undefined {
  const run = spawnSync(
    'unshare',
    [
      '-m',
      '--propagation',
      'private',
      'sh',
      '-c',
      'mount -t bpf bpf /sys/fs/bpf && exec "$0" "$@"',
      harness,
      figure,
      object,
      String(count),
    ],
    { encoding: 'utf8' },
  );
  if (run.status !== 0) return undefined;
  return (JSON.parse(run.stdout.trim()) as { median_ns: number }).median_ns / 1e6;
}

/**
 * Unmeasured runs before the warm samples: at least this many, and for at least
 * {@link warmUpMs}. The C harness needs two (caches); JavaScript needs V8 to have compiled
 * the load path (an open + load costs 4–6× its settled time for its first ten runs here).
 * What a process pays before that is the cold row's figure.
 */
const warmUpRuns = 20;
/** See {@link warmUpRuns}. */
const warmUpMs = 200;

/** Median ms of `count` runs of `fn` once warm ({@link warmUpRuns}), each after background slot batches settle. */
async function ourMs(fn: () => void, count: number): Promise<number> {
  const warming = performance.now();
  for (let i = 0; i < warmUpRuns || performance.now() - warming < warmUpMs; i++) {
    await backgroundBatchesSettled();
    fn();
  }
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    await backgroundBatchesSettled();
    const started = performance.now();
    fn();
    samples.push(performance.now() - started);
  }
  return medianOf(samples);
}

/** A fresh node process's first open + load of `object`, in ms, timed by that process from its import of `@bpfkit/loader`. */
function ourFirstLoadMs(object: string, pinRoot: string): number | undefined {
  const run = spawnSync(process.execPath, [firstLoadScript, object, pinRoot], { encoding: 'utf8' });
  if (run.status !== 0) return undefined;
  return (JSON.parse(run.stdout.trim()) as { ms: number }).ms;
}

/** Median of `samples` fresh-process runs of `measure`; undefined if any fails. */
function medianOfRuns(samples: number, measure: () => number | undefined): number | undefined {
  const values: number[] = [];
  for (let i = 0; i < samples; i++) {
    const value = measure();
    if (value === undefined) return undefined;
    values.push(value);
  }
  return medianOf(values);
}

/** Whether bpfkit loads `bytes`, and whether any of its programs has CO-RE relocations; `undefined` when it does not load. */
function tryLoad(bytes: Uint8Array, name: string, pinRoot: string): { core: boolean } | undefined {
  try {
    using object = BpfObject.open(bytes, { objectName: name, pinRoot });
    const core = object.programs.some((p) => p.instructions.some((insn) => insn.core !== undefined));
    object.load();
    return { core };
  } catch {
    return undefined;
  }
}

/** Times one object on both sides; `undefined` (with a note) when either does not load it. */
async function timeObject(
  path: string,
  label: string,
  options: LoadBenchOptions,
  pinRoot: string,
): Promise<ObjectTimes | undefined> {
  const count = options.quick ? 5 : 15;
  // An open takes a tenth of a millisecond: many samples keep a busy machine's pauses out of its median.
  const openCount = options.quick ? 50 : 200;
  const coldSamples = options.quick ? 1 : 3;
  const name = basename(path).replace(/\.(bpf\.|linked\.|el\.)?o$/, '');
  const bytes = new Uint8Array(readFileSync(path));
  const loaded = tryLoad(bytes, name, pinRoot);
  const theirLoad = loaded === undefined ? undefined : libbpfMs(options.harness, 'object-load', path, count);
  if (loaded === undefined || theirLoad === undefined) {
    console.error(`bench: ${label} skipped (${loaded === undefined ? 'bpfkit' : 'libbpf'} does not load it)`);
    return undefined;
  }
  const load = await ourMs(() => {
    const object = BpfObject.open(bytes, { objectName: name, pinRoot });
    object.load();
    object.close();
  }, count);
  const open = await ourMs(() => BpfObject.open(bytes, { objectName: name, pinRoot }).close(), openCount);
  const theirOpen = libbpfMs(options.harness, 'object-open', path, openCount) as number;
  const coldOurs = medianOfRuns(coldSamples, () => ourFirstLoadMs(path, pinRoot));
  const coldTheirs = medianOfRuns(coldSamples, () => libbpfMs(options.harness, 'first-load', path, 1));
  if (coldOurs === undefined || coldTheirs === undefined) throw new Error(`bench: the first load of ${path} failed`);
  const times: ObjectTimes = {
    name,
    core: loaded.core,
    load: [load, theirLoad],
    open: [open, theirOpen],
    cold: [coldOurs, coldTheirs],
  };
  const ratio = ([ours, theirs]: readonly [number, number]) => (ours / theirs).toFixed(2);
  console.error(
    `bench: ${label}${times.core ? ' (CO-RE)' : ''}: open+load ${load.toFixed(2)} ms (${ratio(times.load)}×), open ${ratio(times.open)}×, first load ${coldOurs.toFixed(1)} ms (${ratio(times.cold)}×)`,
  );
  return times;
}

/** The median over `objects` of ours ÷ libbpf's for `which`, as a row. */
function medianRatioRow(
  name: string,
  objects: readonly ObjectTimes[],
  which: 'load' | 'open' | 'cold',
  target: number,
): Figure {
  return {
    name: `${name}: median ratio over ${objects.length} objects`,
    unit: 'x',
    ours: objects.length === 0 ? Number.NaN : medianOf(objects.map((o) => o[which][0] / o[which][1])),
    reference: undefined,
    referenceName: `libbpf, the same ${objects.length} objects`,
    target,
  };
}

/** Rows for one set of objects (a corpus folder, or the fixtures). */
function setRows(set: string, objects: readonly ObjectTimes[]): Figure[] {
  const withoutCore = objects.filter((o) => !o.core);
  const milliseconds = (which: 'cold', side: 0 | 1) => medianOf(objects.map((o) => o[which][side]));
  return [
    medianRatioRow(`${set}: open + load`, objects, 'load', 0.5),
    medianRatioRow(`${set}: open + load, objects without CO-RE`, withoutCore, 'load', 1.0),
    medianRatioRow(`${set}: open alone`, objects, 'open', 1.0),
    medianRatioRow(`${set}: a fresh process's first open + load`, objects, 'cold', 5.0),
    {
      name: `${set}: a fresh process's first open + load, median over objects`,
      unit: 'ms',
      ours: objects.length === 0 ? Number.NaN : milliseconds('cold', 0),
      reference: objects.length === 0 ? Number.NaN : milliseconds('cold', 1),
      referenceName: 'libbpf first open_file + load',
      target: undefined,
    },
  ];
}

/** The corpus folders from `--corpus DIR` (repeatable) and `BPFKIT_BENCH_CORPUS` (colon-separated). */
export function corpusFolders(args: readonly string[]): string[] {
  const given = args.flatMap((arg, i) =>
    arg === '--corpus' && args[i + 1] !== undefined ? [args[i + 1] as string] : [],
  );
  const fromEnv = (process.env.BPFKIT_BENCH_CORPUS ?? '').split(':').filter((dir) => dir !== '');
  return [...given, ...fromEnv];
}

/** Load rows over each corpus folder, or over the libbpf-comparable fixtures when none is given. */
export async function loadFigures(options: LoadBenchOptions): Promise<Figure[]> {
  if (options.corpus.length === 0)
    console.error('bench: no corpus (--corpus DIR or BPFKIT_BENCH_CORPUS): load rows over the fixtures');
  const present = options.corpus.filter((dir) => {
    if (!existsSync(dir)) console.error(`bench: corpus folder ${dir} does not exist: skipped`);
    return existsSync(dir);
  });
  const sets =
    options.corpus.length === 0
      ? [{ set: 'fixtures', paths: libbpfComparableFixtures().map((f) => f.path) }]
      : present.map((dir) => ({ set: basename(dir), paths: objectsUnder(dir) }));
  const bpffs = mountBpffs();
  try {
    const figures: Figure[] = [];
    for (const { set, paths } of sets) {
      const objects: ObjectTimes[] = [];
      for (const [i, path] of paths.entries()) {
        // A pin folder per object: objects that pin maps of the same name do not share them.
        const pinRoot = join(bpffs.dir, `${set}-${i}`);
        mkdirSync(pinRoot);
        const times = await timeObject(path, `${set} [${i + 1}/${paths.length}] ${basename(path)}`, options, pinRoot);
        if (times !== undefined) objects.push(times);
      }
      figures.push(...setRows(set, objects));
    }
    return figures;
  } finally {
    bpffs.unmount();
  }
}
