// `npm run bench`: bpfkit's figures beside libbpf's from the same run, as ratios.
//   --quick          fewer samples (CI smoke test: it must run, not meet targets)
//   --json FILE      also write the table as JSON
//   --update-page    rewrite the table in docs/benchmark.md from this run
//   --corpus DIR     also time loads over the real-world objects under DIR (bench/load.ts)
//   --only GROUPS    measure only these groups of rows (comma-separated labels, e.g. 'events,links')
//   --in-this-process  measure the object and load groups in this process too, with the C harness
//                    already built (how bench/fresh-process.ts runs one of them)
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Btf, parseBtf } from '@bpfkit/btf';
import { fixture, libbpfComparableFixtures } from '@bpfkit/fixtures';
import { BpfObject } from '@bpfkit/loader';
import {
  backgroundBatchesSettled,
  createMap,
  mapFileReadOnly,
  mapLookup,
  mapLookupBatch,
  mapNextKey,
  mapUpdate,
  mapUpdateBatch,
  setBackend,
} from '@bpfkit/syscall';
import { MapType } from '@bpfkit/uapi';
import { Bench } from 'tinybench';
import { btfDumpFigures } from './btf-dump.js';
import { complexityFigures } from './complexity.js';
import { eventFigures } from './events.js';
import { figuresInFreshProcess, inThisProcessFlag } from './fresh-process.js';
import { genFigures } from './gen.js';
import { linkFigures } from './link.js';
import { corpusFolders, loadFigures, medianOf } from './load.js';
import { type Figure, formatTable, replaceTableSection, row, tableHeader, tableLine } from './table.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const jsonPath = args.includes('--json') ? args[args.indexOf('--json') + 1] : undefined;
const inThisProcess = args.includes(inThisProcessFlag);
/** The group labels `--only` names, if it is given: the other groups are not measured. */
const only = args.includes('--only') ? (args[args.indexOf('--only') + 1] ?? '').split(',') : undefined;
if (only !== undefined && args.includes('--update-page')) {
  console.error('bench: --only measures part of the table; --update-page needs all of it (drop one of the two)');
  process.exit(2);
}
const vmlinux = '/sys/kernel/btf/vmlinux';
const harness = '.bench/libbpf-bench';
/** The wake-up latency rows' producer thread (bench/events-producer.c) as a shared object, for bpfkit's side. */
const eventProducer = '.bench/events-producer.so';

function buildHarness(): void {
  if (!existsHeader('/usr/include/bpf/btf.h')) {
    console.error('bench: installing libbpf-dev for the C harness');
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    execFileSync('apt-get', ['install', '-y', '-qq', 'libbpf-dev', 'gcc'], { stdio: 'inherit' });
  }
  mkdirSync('.bench', { recursive: true });
  execFileSync('cc', ['-O2', '-Wall', '-o', harness, 'bench/libbpf-bench.c', 'bench/events-producer.c', '-lbpf'], {
    stdio: 'inherit',
  });
  execFileSync('cc', ['-O2', '-Wall', '-shared', '-fPIC', '-o', eventProducer, 'bench/events-producer.c', '-lbpf'], {
    stdio: 'inherit',
  });
}

function existsHeader(path: string): boolean {
  try {
    readFileSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Runs one figure of the C harness on `input` and returns its JSON line. */
function libbpf(figure: string, count: number, input = vmlinux): { median_ns?: number; bytes?: number } {
  const out = execFileSync(harness, [figure, input, String(count)], { encoding: 'utf8' });
  return JSON.parse(out.trim());
}

async function median(name: string, fn: () => unknown, beforeEach?: () => Promise<void>): Promise<number> {
  const bench = new Bench({ time: quick ? 200 : 2000, warmupTime: quick ? 50 : 500 });
  bench.add(name, fn, beforeEach === undefined ? {} : { beforeEach });
  await bench.run();
  const result = bench.tasks[0]?.result;
  if (result === undefined || !('latency' in result)) throw new Error(`benchmark ${name} did not complete`);
  return result.latency.p50;
}

/** Resolves after one turn of the event loop (V8's scheduled collection work runs there). */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Mean time of `count` runs of `decode` in a row, nothing in between. */
function decodesBackToBack(decode: () => unknown, count: number): number {
  for (let i = 0; i < 10; i++) decode();
  const start = performance.now();
  for (let i = 0; i < count; i++) decode();
  return (performance.now() - start) / count;
}

/** Extra heap a full decode of vmlinux keeps alive, in bytes (needs --expose-gc). */
function decodeMemory(bytes: Uint8Array): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc');
  gc();
  const before = process.memoryUsage().heapUsed;
  const btf = parseBtf(bytes);
  const all = btf.decodeAll();
  gc();
  const after = process.memoryUsage().heapUsed;
  if (all.length === 0) throw new Error('nothing decoded');
  return after - before;
}

async function btfFigures(): Promise<Figure[]> {
  const count = quick ? 10 : 100;
  const bytes = new Uint8Array(readFileSync(vmlinux));
  // What the loader does: map vmlinux read-only (6.15+) and parse it as the kernel's own
  // (verified: the kernel checked its names and type ids), then look up or decode.
  const openKernelBtf = <T>(use: (btf: Btf) => T): T => {
    const mapping = mapFileReadOnly(vmlinux);
    try {
      return use(parseBtf(mapping.bytes, { verified: true }));
    } finally {
      mapping.unmap();
    }
  };
  const openFind = await median('btf open + find', () => openKernelBtf((btf) => btf.byName('task_struct', 'struct')));
  // Decodes are sampled one event-loop turn apart, as an application's would be: V8 runs
  // the collection it schedules there. Back to back, each also pays for the last one's.
  const decodeAll = await median('btf decode all', () => openKernelBtf((btf) => btf.decodeAll()), nextTurn);
  const decodeChecked = await median('btf decode all, checked', () => parseBtf(bytes).decodeAll(), nextTurn);
  const backToBack = decodesBackToBack(() => openKernelBtf((btf) => btf.decodeAll()), quick ? 20 : 200);
  const memory = decodeMemory(bytes);
  const theirsOpenFind = (libbpf('btf-open-find', count).median_ns ?? 0) / 1e6;
  const theirsParse = (libbpf('btf-parse', count).median_ns ?? 0) / 1e6;
  return [
    {
      name: 'vmlinux BTF: open (mapped) + find task_struct',
      unit: 'ms',
      ours: openFind,
      reference: theirsOpenFind,
      referenceName: 'btf__parse + btf__find_by_name_kind',
      target: 1.0,
    },
    {
      name: 'vmlinux BTF: open (mapped, as verified) + decode every type',
      unit: 'ms',
      ours: decodeAll,
      reference: theirsParse,
      referenceName: 'btf__parse',
      target: 2.0,
    },
    {
      name: 'vmlinux BTF: decode every type of a copy, every reference checked',
      unit: 'ms',
      ours: decodeChecked,
      reference: theirsParse,
      referenceName: 'btf__parse',
      target: undefined,
    },
    {
      name: 'vmlinux BTF: open (mapped, as verified) + decode every type, back to back (mean)',
      unit: 'ms',
      ours: backToBack,
      reference: theirsParse,
      referenceName: 'btf__parse',
      target: undefined,
    },
    {
      name: 'vmlinux BTF: extra memory of a full decode',
      unit: 'x file',
      ours: memory / bytes.length,
      reference: undefined,
      referenceName: `file ${(bytes.length / 1e6).toFixed(1)} MB`,
      target: 3.0,
    },
  ];
}

/** Per-call map operations (koffi, ffi-napi, C) and batch against key-by-key iteration. */
async function syscallFigures(): Promise<Figure[]> {
  const calls = quick ? 20_000 : 200_000;
  const figures: Figure[] = [];
  const cLookup = (libbpf('map-lookup', calls, '-').median_ns ?? 0) / 1e6;
  const cUpdate = (libbpf('map-update', calls, '-').median_ns ?? 0) / 1e6;
  for (const ffi of ['koffi', 'ffi-napi'] as const) {
    setBackend(ffi);
    const layout = { type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 };
    const map = createMap(layout);
    const key = new Uint8Array(new ArrayBuffer(4));
    const value = new Uint8Array(new ArrayBuffer(8));
    const lookup = await median(`${ffi} lookup`, () => mapLookup(map.fd, key, layout));
    const update = await median(`${ffi} update`, () => mapUpdate(map.fd, key, value, layout));
    map.close();
    const target = ffi === 'koffi' ? 1.5 : undefined;
    figures.push(
      {
        name: `map lookup per call (${ffi})`,
        unit: 'ms',
        ours: lookup,
        reference: cLookup,
        referenceName: 'C bpf_map_lookup_elem',
        target,
      },
      {
        name: `map update per call (${ffi})`,
        unit: 'ms',
        ours: update,
        reference: cUpdate,
        referenceName: 'C bpf_map_update_elem',
        target,
      },
    );
  }
  setBackend('koffi');
  const entries = quick ? 10_000 : 100_000;
  const hashLayout = { type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: entries };
  const hash = createMap(hashLayout);
  const keys = new Uint8Array(new ArrayBuffer(entries * 4));
  const kv = new DataView(keys.buffer);
  for (let i = 0; i < entries; i++) kv.setUint32(i * 4, i, true);
  mapUpdateBatch(hash.fd, keys, new Uint8Array(new ArrayBuffer(entries * 8)), entries, hashLayout);
  const byBatch = await median('batch lookup', () => {
    let from: Uint8Array | undefined;
    for (;;) {
      const batch = mapLookupBatch(hash.fd, { layout: hashLayout, count: 16_384, ...(from ? { from } : {}) });
      if (batch.next === undefined) break;
      from = batch.next;
    }
  });
  const byKey = await median('key-by-key lookup', () => {
    let key = mapNextKey(hash.fd, undefined, hashLayout);
    while (key !== undefined) {
      mapLookup(hash.fd, key, hashLayout);
      key = mapNextKey(hash.fd, key, hashLayout);
    }
  });
  hash.close();
  figures.push({
    name: `read a ${entries / 1000}k-entry hash: batch vs key by key`,
    unit: 'ms',
    ours: byBatch,
    reference: byKey,
    referenceName: 'bpfkit key by key',
    target: 0.1,
  });
  return figures;
}

/** Object open (parse, maps, plan) and load per fixture, beside libbpf's open and load. */
async function objectFigures(): Promise<Figure[]> {
  const count = quick ? 5 : 30;
  const figures: Figure[] = [];
  for (const f of libbpfComparableFixtures()) {
    const bytes = new Uint8Array(readFileSync(f.path));
    const open = await median(`open ${f.name}`, () =>
      BpfObject.open(bytes, { objectName: f.name, pinRoot: pinRoot() }),
    );
    figures.push({
      name: `object open: ${f.name}`,
      unit: 'ms',
      ours: open,
      reference: (libbpf('object-open', count, f.path).median_ns ?? 0) / 1e6,
      referenceName: 'bpf_object__open_file',
      target: undefined, // the target is on the median, below
    });
    // Each sample is one load as a lone load sees it: the RCU waits that earlier samples'
    // map-in-map slot batches left running in the background end before it (untimed).
    // Loads back to back, which share those waits, are the throughput figure below.
    const load = await median(
      `load ${f.name}`,
      () => {
        const obj = BpfObject.open(bytes, { objectName: f.name });
        obj.load();
        obj.close();
      },
      backgroundBatchesSettled,
    );
    figures.push({
      name: `object load: ${f.name}${f.name === 'btf_map_in_map' ? ' (map-in-map, 9 slots)' : ''}`,
      unit: 'ms',
      ours: load,
      reference: (libbpf('object-load', count, f.path).median_ns ?? 0) / 1e6,
      referenceName: 'bpf_object__open_file + load',
      target: f.name === 'btf_map_in_map' ? 0.25 : undefined, // the others' target is on the median, below
    });
  }
  return [...figures, medianRatio(figures, 'object open:', 1.5), medianRatio(figures, 'object load:', 1.0)];
}

/** The median over fixtures of the ratios of the figures named `prefix …`: what the issues' targets apply to. */
function medianRatio(figures: readonly Figure[], prefix: string, target: number): Figure {
  const ratios = figures
    .filter((f) => f.name.startsWith(prefix) && f.reference !== undefined)
    .map((f) => f.ours / (f.reference as number));
  const value = medianOf(ratios);
  return {
    name: `${prefix} median ratio over ${ratios.length} fixtures`,
    unit: 'x',
    ours: value,
    reference: undefined,
    referenceName: 'the rows above',
    target,
  };
}

/**
 * Map-in-map loads back to back, the event loop turning between them: each load's slot
 * batches hold a worker thread for an RCU grace period, so sustained loads share those
 * threads. Per load, beside libbpf's single load (which waits every grace period itself).
 */
async function mapInMapThroughput(): Promise<Figure> {
  const f = fixture('btf_map_in_map');
  const bytes = new Uint8Array(readFileSync(f.path));
  const loads = quick ? 10 : 60;
  await backgroundBatchesSettled();
  const start = performance.now();
  for (let i = 0; i < loads; i++) {
    const obj = BpfObject.open(bytes, { objectName: f.name });
    obj.load();
    obj.close();
    await new Promise((resolve) => setImmediate(resolve));
  }
  await backgroundBatchesSettled();
  const perLoad = (performance.now() - start) / loads;
  return {
    name: `object load: btf_map_in_map, ${loads} back to back (per load)`,
    unit: 'ms',
    ours: perLoad,
    reference: (libbpf('object-load', quick ? 5 : 30, f.path).median_ns ?? 0) / 1e6,
    referenceName: 'bpf_object__open_file + load',
    target: undefined,
  };
}

/** Ten CO-RE objects loaded in one process, all alive at once: libbpf parses vmlinux BTF for each, we once. */
async function tenCoreObjects(): Promise<Figure> {
  const f = fixture('core');
  const bytes = new Uint8Array(readFileSync(f.path));
  const ours = await median('ten CO-RE objects', () => {
    const objects = Array.from({ length: 10 }, () => BpfObject.open(bytes, { objectName: f.name }));
    for (const object of objects) object.load();
    for (const object of objects) object.close();
  });
  return {
    name: 'ten CO-RE objects loaded in one process',
    unit: 'ms',
    ours,
    reference: (libbpf('ten-objects', quick ? 3 : 10, f.path).median_ns ?? 0) / 1e6,
    referenceName: 'ten bpf_object__open_file + load',
    target: 0.5,
  };
}

let privatePins: string | undefined;
/** A private pin root, so benchmark loads never pin into /sys/fs/bpf. */
function pinRoot(): string {
  privatePins ??= mkdtempSync(join(tmpdir(), 'bpfkit-bench-pins-'));
  return privatePins;
}

function machine(): string {
  return `${new Date().toISOString().slice(0, 10)}, Linux ${release()}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}${quick ? ', quick run' : ''}`;
}

// A group's own process uses the harness its parent built: rebuilding it there is wasted time.
if (!inThisProcess) buildHarness();
/** The groups of rows, measured in this order; each row prints to stderr as its group finishes. */
const allGroups: readonly [string, () => Figure[] | Figure | Promise<Figure[] | Figure>][] = [
  ['BTF', btfFigures],
  ['btf dump', () => btfDumpFigures(quick)],
  ['map calls', syscallFigures],
  ['objects', objectFigures],
  ['map-in-map throughput', mapInMapThroughput],
  ['ten CO-RE objects', tenCoreObjects],
  ['load', () => loadFigures({ quick, corpus: corpusFolders(args), harness })],
  ['complexity', () => complexityFigures(quick)],
  ['events', () => eventFigures(quick, libbpf, eventProducer)],
  ['links', () => linkFigures(quick)],
  ['generated code', () => genFigures(quick)],
];
/**
 * Groups measured in a fresh process of their own (bench/fresh-process.ts tells why): object
 * loads there run in a process that has done nothing else, as libbpf's do.
 */
const freshProcessGroups = new Set(['objects', 'load']);
/** The options a group's own process gets from this one. */
const freshProcessArgs = [
  ...(quick ? ['--quick'] : []),
  ...args.flatMap((arg, i) => (arg === '--corpus' ? [arg, args[i + 1] ?? ''] : [])),
];
const unknown = only?.filter((label) => !allGroups.some(([name]) => name === label)) ?? [];
if (unknown.length > 0) {
  console.error(
    `bench: --only ${unknown.join(', ')}: no such group (groups: ${allGroups.map(([name]) => name).join(', ')})`,
  );
  process.exit(2);
}
const groups = allGroups.filter(([label]) => only === undefined || only.includes(label));
const figures: Figure[] = [];
if (!inThisProcess) process.stderr.write(`${tableLine(tableHeader)}\n`);
for (const [label, measure] of groups) {
  if (freshProcessGroups.has(label) && !inThisProcess) {
    // Its own process prints its progress and rows to stderr as it goes.
    figures.push(...figuresInFreshProcess(fileURLToPath(import.meta.url), label, freshProcessArgs));
    continue;
  }
  process.stderr.write(`bench: measuring ${label}…\n`);
  const rows = [await measure()].flat();
  for (const figure of rows) process.stderr.write(`${tableLine(row(figure))}\n`);
  figures.push(...rows);
}
const table = formatTable(figures);
console.log(`\nbpfkit vs libbpf (${machine()})\n\n${table}\n`);
if (jsonPath !== undefined) writeFileSync(jsonPath, `${JSON.stringify({ machine: machine(), figures }, null, 2)}\n`);
if (args.includes('--update-page')) {
  const page = readFileSync('docs/benchmark.md', 'utf8');
  const section = `Measured by \`npm run bench\` on ${machine()}; ratio = bpfkit ÷ reference. Times are medians (per-call figures in µs); full BTF decodes are sampled one event-loop turn apart, as an application would run them (the collector's scheduled work runs in between), except in the back-to-back row.\n\n${table}`;
  writeFileSync('docs/benchmark.md', replaceTableSection(page, section));
}
