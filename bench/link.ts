// Link rows of `npm run bench`: attaching a usdt program to every probe of a generated
// binary (100 probes) beside libbpf's bpf_program__attach_usdt, and one uprobe.multi link
// to its 1,000 functions beside bpf_program__attach_uprobe_multi. Debian's libbpf 1.1 has
// no uprobe_multi: the references are the newest libbpf 1.3+ installed (headers and a static
// library) under the prefix BPFKIT_NEWEST_LIBBPF names, /usr/local or /opt/libbpf, which loads
// and attaches usdt programs through uprobe_multi links as bpfkit does; without one the usdt
// row falls back to libbpf 1.1 (a uprobe per site) and the uprobe.multi row says it has no
// reference. CI (.ci/run) sets BPFKIT_NEWEST_LIBBPF to the machine's /tmp/link-libbpf when it has one. Both sides describe the USDT maps once (libbpf's USDT manager, our openUsdtMaps).
// ELF files are parsed afresh in every round on both sides (libbpf parses at every attach
// call; bpfkit once per round, as its cache is cleared). The usdt row times the same work on
// both sides (checked with strace -f -v -e trace=bpf on each): the same binary and 100
// probes, one uprobe_multi link per bpf_program__attach_usdt / attachUsdt call, each after
// one BPF_MAP_UPDATE_ELEM of its spec. Closing a uprobe_multi link costs tens of ms of kernel
// time on either side, so links are closed outside the timed part on both. Rounds run in blocks, ours then
// libbpf's, alternating, so that both sides see the same load; each figure is the median of
// all its side's rounds.
// Each wall-time row has a CPU-time row beside it, from the same rounds and with the same
// target: the process's user + system CPU time over the timed span (getrusage(RUSAGE_SELF) on
// libbpf's side, process.cpuUsage() on ours, which reads the same and counts every thread,
// V8's GC and compiler threads included). The first BPF_LINK_CREATE of a round, after the
// previous round's links were closed, can wait 6-16 ms in the kernel on both sides; that wait
// sleeps, so it weighs in the wall rows only, and the CPU rows show the cost it hides.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fixture } from '@bpfkit/fixtures';
import { attachUprobeMulti, attachUsdt, clearBinaryCache, type Link, openUsdtMaps } from '@bpfkit/link';
import { BpfObject } from '@bpfkit/loader';
import { AttachType } from '@bpfkit/uapi';
import type { Figure } from './table.js';

const FUNCTIONS = 1000;
const PROBES = 100;
const target = '.bench/link-target';

/** A C program with FUNCTIONS functions (bench_f0…) and PROBES USDT probes (bench:p0…), none of them run. */
function targetSource(): string {
  const functions = Array.from(
    { length: FUNCTIONS },
    (_, i) =>
      `__attribute__((noinline)) int bench_f${i}(int x) { __asm__ volatile("" ::: "memory"); return x + ${i}; }`,
  );
  const probes = Array.from({ length: PROBES }, (_, i) => `\t\tDTRACE_PROBE2(bench, p${i}, argc, ${i});`);
  return `#include <sys/sdt.h>\n${functions.join('\n')}\nint main(int argc, char **argv)\n{\n\tif (argc > 1000) {\n${probes.join('\n')}\n\t}\n\treturn bench_f0(argc);\n}\n`;
}

/** The oldest libbpf with `bpf_program__attach_uprobe_multi`. */
const UPROBE_MULTI_LIBBPF = [1, 3] as const;

/**
 * Where a libbpf newer than Debian's may be installed: the prefix BPFKIT_NEWEST_LIBBPF names,
 * then `make install`'s usual prefixes.
 */
function libbpfPrefixes(): string[] {
  return [process.env.BPFKIT_NEWEST_LIBBPF, '/usr/local', '/opt/libbpf'].filter((p): p is string => p !== undefined);
}

/** The version `include/bpf/libbpf_version.h` under `prefix` declares, if there is one. */
function libbpfVersion(prefix: string): [number, number] | undefined {
  const header = `${prefix}/include/bpf/libbpf_version.h`;
  if (!existsSync(header)) return undefined;
  const text = readFileSync(header, 'utf8');
  const major = /LIBBPF_MAJOR_VERSION\s+(\d+)/.exec(text)?.[1];
  const minor = /LIBBPF_MINOR_VERSION\s+(\d+)/.exec(text)?.[1];
  return major === undefined || minor === undefined ? undefined : [Number(major), Number(minor)];
}

/**
 * The newest libbpf installed under {@link libbpfPrefixes} with headers, a static library and
 * `attach_uprobe_multi` (1.3+), if any.
 */
function newestLibbpf(): { include: string; library: string; version: string } | undefined {
  const found = libbpfPrefixes().flatMap((prefix) => {
    const version = libbpfVersion(prefix);
    const library = [`${prefix}/lib/libbpf.a`, `${prefix}/lib64/libbpf.a`].find(existsSync);
    if (version === undefined || library === undefined) return [];
    const [major, minor] = version;
    const recent =
      major > UPROBE_MULTI_LIBBPF[0] || (major === UPROBE_MULTI_LIBBPF[0] && minor >= UPROBE_MULTI_LIBBPF[1]);
    return recent
      ? [{ include: `${prefix}/include`, library, version: `${major}.${minor}`, rank: major * 1000 + minor }]
      : [];
  });
  const newest = found.sort((a, b) => b.rank - a.rank)[0];
  return newest === undefined
    ? undefined
    : { include: newest.include, library: newest.library, version: newest.version };
}

function build(): { usdt: string; multi: string | undefined; version: string | undefined } {
  mkdirSync('.bench', { recursive: true });
  writeFileSync(`${target}.c`, targetSource());
  execFileSync('cc', ['-O1', '-o', target, `${target}.c`]);
  const usdt = '.bench/link-bench';
  execFileSync('cc', ['-O2', '-Wall', '-o', usdt, 'bench/link-bench.c', '-lbpf']);
  const newest = newestLibbpf();
  if (newest === undefined) {
    process.stderr.write(
      `bench: no libbpf ≥ ${UPROBE_MULTI_LIBBPF.join('.')} under ${libbpfPrefixes().join(', ')}: the uprobe.multi row has no reference (set BPFKIT_NEWEST_LIBBPF to an install prefix)\n`,
    );
    return { usdt, multi: undefined, version: undefined };
  }
  const multi = '.bench/link-bench-newest';
  execFileSync('cc', [
    '-O2',
    '-Wall',
    '-DHAVE_UPROBE_MULTI',
    `-I${newest.include}`,
    '-o',
    multi,
    'bench/link-bench.c',
    newest.library,
    '-lelf',
    '-lz',
  ]);
  return { usdt, multi, version: newest.version };
}

/**
 * Untimed rounds before ours are timed, so that the JIT has compiled the ELF and attach
 * paths: after 5, V8's optimizing compiler still ran through the timed rounds (its threads
 * took more CPU than the main thread in a profile of them, and count in the CPU rows); after
 * 40 it had finished (our JS of a USDT round, link creation stubbed out: 2.4-3.6 ms after 5
 * rounds, 1.3-2.0 ms after 40, here).
 */
const WARMUP_ROUNDS = 40;

/**
 * Samples of attach rounds in ms, one per round on each side: `wall` the elapsed time, `cpu`
 * the process's CPU time (user + system, every thread: GC and compiler threads on ours) over
 * the same span. The kernel's wait at a round's first link (see the file comment) is in
 * `wall` only: it sleeps.
 */
interface RoundSamples {
  readonly wall: number[];
  readonly cpu: number[];
}

/** CPU time of the process so far in ms: user + system over every thread (getrusage, as the C side reads it). */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** Samples of `rounds` runs of `attach` (links closed after each, untimed), ELF caches cleared first. */
function ourRounds(rounds: number, attach: () => Link[]): RoundSamples {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let round = 0; round < rounds; round++) {
    clearBinaryCache();
    const cpuStarted = cpuMs();
    const started = performance.now();
    const links = attach();
    wall.push(performance.now() - started);
    cpu.push(cpuMs() - cpuStarted);
    for (const link of links) link.close();
  }
  return { wall, cpu };
}

/** Samples of `rounds` runs of the C harness's `figure`, or undefined where its libbpf lacks it. */
function referenceRounds(
  harness: string,
  figure: string,
  object: string,
  what: string,
  rounds: number,
): RoundSamples | undefined {
  const out = JSON.parse(execFileSync(harness, [figure, object, target, what, String(rounds)], { encoding: 'utf8' }));
  const ms = (ns: number[]) => ns.map((n) => n / 1e6);
  return out.samples_ns === undefined ? undefined : { wall: ms(out.samples_ns), cpu: ms(out.cpu_samples_ns) };
}

function median(samples: readonly number[]): number {
  return [...samples].sort((a, b) => a - b)[samples.length >> 1] as number;
}

/** Medians of one side's wall and CPU samples. */
interface Medians {
  readonly wall: number;
  readonly cpu: number;
}

/**
 * Medians of ours and the reference over `blocks` blocks of `rounds` rounds each, the two
 * sides alternating block by block; progress goes to stderr.
 */
function interleaved(
  label: string,
  blocks: number,
  rounds: number,
  ours: () => Link[],
  reference: ((rounds: number) => RoundSamples | undefined) | undefined,
): { ours: Medians; reference: Medians | undefined } {
  ourRounds(WARMUP_ROUNDS, ours);
  const mine: RoundSamples = { wall: [], cpu: [] };
  const theirs: RoundSamples = { wall: [], cpu: [] };
  for (let block = 0; block < blocks; block++) {
    const ourBlock = ourRounds(rounds, ours);
    mine.wall.push(...ourBlock.wall);
    mine.cpu.push(...ourBlock.cpu);
    const theirBlock = reference?.(rounds);
    theirs.wall.push(...(theirBlock?.wall ?? []));
    theirs.cpu.push(...(theirBlock?.cpu ?? []));
    const so = (samples: number[]) => (samples.length === 0 ? '-' : `${median(samples).toFixed(2)} ms`);
    process.stderr.write(
      `bench: ${label}: block ${block + 1}/${blocks}: ours ${so(mine.wall)} (CPU ${so(mine.cpu)}), libbpf ${so(theirs.wall)} (CPU ${so(theirs.cpu)})\n`,
    );
  }
  const medians = (samples: RoundSamples) => ({ wall: median(samples.wall), cpu: median(samples.cpu) });
  return { ours: medians(mine), reference: theirs.wall.length === 0 ? undefined : medians(theirs) };
}

/**
 * A wall-time row and, beside it, the CPU-time row of the same rounds, held to the same
 * target: the CPU row shows what the kernel's wait at each round's first link hides in the
 * wall row.
 */
function wallAndCpuRows(
  name: string,
  figures: { ours: Medians; reference: Medians | undefined },
  referenceName: string,
  target: number | undefined,
): Figure[] {
  return [
    { name, unit: 'ms', ours: figures.ours.wall, reference: figures.reference?.wall, referenceName, target },
    {
      name: `${name}: CPU time per round`,
      unit: 'ms',
      ours: figures.ours.cpu,
      reference: figures.reference?.cpu,
      referenceName,
      target,
    },
  ];
}

/** The two link rows. */
export function linkFigures(quick: boolean): Figure[] {
  const blocks = quick ? 1 : 5;
  const rounds = quick ? 3 : 5;
  const harness = build();
  const usdtObject = fixture('usdt_probe').path;
  const multiObject = fixture('link_kinds').path;
  using usdt = BpfObject.open(usdtObject);
  usdt.load();
  // Described once, as libbpf's USDT manager is once per object.
  const maps = openUsdtMaps({
    specs: usdt.map('__bpf_usdt_specs').fd,
    ipToSpec: usdt.map('__bpf_usdt_ip_to_spec_id').fd,
  });
  const onTick = usdt.program('on_tick');
  // Where uprobe_multi links work, the loader loads usdt programs for them (libbpf 1.5+ too),
  // and such a program attaches only through one.
  const multiLink = onTick.expectedAttachType === AttachType.TRACE_UPROBE_MULTI;
  const usdtHarness = harness.multi ?? harness.usdt;
  const usdtFigures = interleaved(
    'usdt',
    blocks,
    rounds,
    () =>
      Array.from({ length: PROBES }, (_, i) =>
        attachUsdt(onTick.fd, target, 'bench', `p${i}`, maps, { multi: multiLink }),
      ),
    (n) => referenceRounds(usdtHarness, 'usdt-all', usdtObject, String(PROBES), n),
  );
  using multi = BpfObject.open(multiObject);
  multi.load();
  const multiHarness = harness.multi;
  const multiFigures = interleaved(
    'uprobe.multi',
    blocks,
    rounds * 4,
    () => [attachUprobeMulti(multi.program('on_uprobe_multi').fd, target, { pattern: 'bench_f*' })],
    multiHarness === undefined
      ? undefined
      : (n) => referenceRounds(multiHarness, 'uprobe-multi', multiObject, 'bench_f*', n),
  );
  return [
    ...wallAndCpuRows(
      `attach a usdt program to all ${PROBES} probes of a binary`,
      usdtFigures,
      harness.multi === undefined
        ? 'bpf_program__attach_usdt per probe (libbpf 1.1: a uprobe per site)'
        : `bpf_program__attach_usdt per probe (libbpf ${harness.version}: one uprobe_multi link each)`,
      1.5,
    ),
    ...wallAndCpuRows(
      `one uprobe.multi link to ${FUNCTIONS} functions (glob)`,
      multiFigures,
      harness.multi === undefined
        ? `no reference: Debian's libbpf 1.1 lacks attach_uprobe_multi and no libbpf ≥ 1.3 was found (set BPFKIT_NEWEST_LIBBPF); target ≤ 1.2`
        : `bpf_program__attach_uprobe_multi (libbpf ${harness.version})`,
      // Without a reference there is no ratio to hold to the target.
      harness.multi === undefined ? undefined : 1.2,
    ),
  ];
}
