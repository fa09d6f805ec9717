// `npm run bench`: bpfkit's figures beside libbpf's from the same run, as ratios.
//   --quick          fewer samples (CI smoke test: it must run, not meet targets)
//   --json FILE      also write the table as JSON
//   --update-readme  rewrite the README's Performance section from this run
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { parseBtf } from '@bpfkit/btf';
import { Bench } from 'tinybench';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const jsonPath = args.includes('--json') ? args[args.indexOf('--json') + 1] : undefined;
const vmlinux = '/sys/kernel/btf/vmlinux';
const harness = '.bench/libbpf-bench';

/** One row of the table: ours, the reference, and the target ratio from the issues. */
interface Figure {
  readonly name: string;
  readonly unit: 'ms' | 'MB' | 'x file';
  readonly ours: number;
  readonly reference: number | undefined;
  readonly referenceName: string;
  /** The largest acceptable ours / reference ratio. */
  readonly target: number | undefined;
}

function buildHarness(): void {
  if (!existsHeader('/usr/include/bpf/btf.h')) {
    console.error('bench: installing libbpf-dev for the C harness');
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    execFileSync('apt-get', ['install', '-y', '-qq', 'libbpf-dev', 'gcc'], { stdio: 'inherit' });
  }
  mkdirSync('.bench', { recursive: true });
  execFileSync('cc', ['-O2', '-Wall', '-o', harness, 'bench/libbpf-bench.c', '-lbpf'], { stdio: 'inherit' });
}

function existsHeader(path: string): boolean {
  try {
    readFileSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Runs one figure of the C harness and returns its JSON line. */
function libbpf(figure: string, count: number): { median_ns?: number; bytes?: number } {
  const out = execFileSync(harness, [figure, vmlinux, String(count)], { encoding: 'utf8' });
  return JSON.parse(out.trim());
}

async function median(name: string, fn: () => unknown): Promise<number> {
  const bench = new Bench({ time: quick ? 200 : 2000, warmupTime: quick ? 50 : 500 });
  bench.add(name, fn);
  await bench.run();
  const result = bench.tasks[0]?.result;
  if (result === undefined || !('latency' in result)) throw new Error(`benchmark ${name} did not complete`);
  return result.latency.p50;
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
  const openFind = await median('btf open + find', () =>
    parseBtf(new Uint8Array(readFileSync(vmlinux))).byName('task_struct', 'struct'),
  );
  const decodeAll = await median('btf decode all', () => parseBtf(bytes).decodeAll());
  const memory = decodeMemory(bytes);
  const theirsOpenFind = (libbpf('btf-open-find', count).median_ns ?? 0) / 1e6;
  const theirsParse = (libbpf('btf-parse', count).median_ns ?? 0) / 1e6;
  return [
    {
      name: 'vmlinux BTF: open + find task_struct',
      unit: 'ms',
      ours: openFind,
      reference: theirsOpenFind,
      referenceName: 'btf__parse + btf__find_by_name_kind',
      target: 1.0,
    },
    {
      name: 'vmlinux BTF: decode every type',
      unit: 'ms',
      ours: decodeAll,
      reference: theirsParse,
      referenceName: 'btf__parse',
      target: 2.0,
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

function format(figures: Figure[]): string {
  const rows = figures.map((f) => {
    const ratio = f.reference === undefined ? f.ours : f.ours / f.reference;
    const meets = f.target === undefined ? '' : ratio <= f.target ? 'yes' : 'no';
    const value = (v: number | undefined) => (v === undefined ? '-' : `${v.toFixed(2)} ${f.unit}`);
    return [
      f.name,
      value(f.ours),
      value(f.reference),
      f.referenceName,
      ratio.toFixed(2),
      `≤ ${f.target ?? '-'}`,
      meets,
    ];
  });
  const header = ['figure', 'bpfkit', 'reference', 'reference is', 'ratio', 'target', 'meets'];
  return [header, header.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

function machine(): string {
  return `${new Date().toISOString().slice(0, 10)}, Linux ${release()}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}${quick ? ', quick run' : ''}`;
}

buildHarness();
const figures = await btfFigures();
const table = format(figures);
console.log(`\nbpfkit vs libbpf (${machine()})\n\n${table}\n`);
if (jsonPath !== undefined) writeFileSync(jsonPath, `${JSON.stringify({ machine: machine(), figures }, null, 2)}\n`);
if (args.includes('--update-readme')) {
  const readme = readFileSync('README.md', 'utf8');
  const section = `<!-- bench:start -->\nMeasured by \`npm run bench\` on ${machine()}; ratio = bpfkit ÷ reference.\n\n${table}\n<!-- bench:end -->`;
  writeFileSync('README.md', readme.replace(/<!-- bench:start -->[\s\S]*<!-- bench:end -->/, section));
}
