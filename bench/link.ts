// Link rows of `npm run bench`: attaching a usdt program to every probe of a generated
// binary (100 probes) beside libbpf's bpf_program__attach_usdt, and one uprobe.multi link
// to its 1,000 functions beside bpf_program__attach_uprobe_multi. Debian's libbpf 1.1 has
// no uprobe_multi: the references are a newer libbpf installed under the prefix named by
// BPFKIT_NEWEST_LIBBPF (include/bpf/libbpf.h, lib/libbpf.a), which loads and attaches usdt
// programs through uprobe_multi links as bpfkit does; without one the usdt row falls back to
// libbpf 1.1 (a uprobe per site) and the uprobe.multi row says the reference is unavailable.
// ELF files are parsed afresh in every round on both sides (libbpf parses at every attach
// call; bpfkit once per round, as its cache is cleared). Rounds run in blocks, ours then
// libbpf's, alternating, so that both sides see the same load; each figure is the median of
// all its side's rounds.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fixture } from '@bpfkit/fixtures';
import { attachUprobeMulti, attachUsdt, clearBinaryCache, type Link } from '@bpfkit/link';
import { BpfObject } from '@bpfkit/loader';
import { AttachType } from '@bpfkit/reloc';
import type { Figure } from './run.js';

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

/** The libbpf prefix BPFKIT_NEWEST_LIBBPF names, when it holds headers and a static library. */
function newestLibbpf(): { include: string; library: string } | undefined {
  const prefix = process.env.BPFKIT_NEWEST_LIBBPF;
  if (prefix === undefined) return undefined;
  const library = [`${prefix}/lib/libbpf.a`, `${prefix}/lib64/libbpf.a`].find(existsSync);
  return library !== undefined && existsSync(`${prefix}/include/bpf/libbpf.h`)
    ? { include: `${prefix}/include`, library }
    : undefined;
}

function build(): { usdt: string; multi: string | undefined } {
  mkdirSync('.bench', { recursive: true });
  writeFileSync(`${target}.c`, targetSource());
  execFileSync('cc', ['-O1', '-o', target, `${target}.c`]);
  const usdt = '.bench/link-bench';
  execFileSync('cc', ['-O2', '-Wall', '-o', usdt, 'bench/link-bench.c', '-lbpf']);
  const newest = newestLibbpf();
  if (newest === undefined) return { usdt, multi: undefined };
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
  return { usdt, multi };
}

/** Untimed rounds before ours are timed: the JIT compiles the ELF and attach paths. */
const WARMUP_ROUNDS = 5;

/** Times of `rounds` runs of `attach` in ms (links closed after each, untimed), ELF caches cleared first. */
function ourRounds(rounds: number, attach: () => Link[]): number[] {
  const samples: number[] = [];
  for (let round = 0; round < rounds; round++) {
    clearBinaryCache();
    const started = performance.now();
    const links = attach();
    samples.push(performance.now() - started);
    for (const link of links) link.close();
  }
  return samples;
}

/** Times of `rounds` runs of the C harness's `figure` in ms, or undefined where its libbpf lacks it. */
function referenceRounds(harness: string, figure: string, object: string, what: string, rounds: number) {
  const out = JSON.parse(execFileSync(harness, [figure, object, target, what, String(rounds)], { encoding: 'utf8' }));
  return (out.samples_ns as number[] | undefined)?.map((ns) => ns / 1e6);
}

function median(samples: readonly number[]): number {
  return [...samples].sort((a, b) => a - b)[samples.length >> 1] as number;
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
  reference: ((rounds: number) => number[] | undefined) | undefined,
): { ours: number; reference: number | undefined } {
  ourRounds(WARMUP_ROUNDS, ours);
  const mine: number[] = [];
  const theirs: number[] = [];
  for (let block = 0; block < blocks; block++) {
    mine.push(...ourRounds(rounds, ours));
    theirs.push(...(reference?.(rounds) ?? []));
    const so = (samples: number[]) => (samples.length === 0 ? '-' : `${median(samples).toFixed(2)} ms`);
    process.stderr.write(`bench: ${label}: block ${block + 1}/${blocks}: ours ${so(mine)}, libbpf ${so(theirs)}\n`);
  }
  return { ours: median(mine), reference: theirs.length === 0 ? undefined : median(theirs) };
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
  const maps = { specs: usdt.map('__bpf_usdt_specs').fd, ipToSpec: usdt.map('__bpf_usdt_ip_to_spec_id').fd };
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
    {
      name: `attach a usdt program to all ${PROBES} probes of a binary`,
      unit: 'ms',
      ...usdtFigures,
      referenceName:
        harness.multi === undefined
          ? 'bpf_program__attach_usdt per probe (libbpf 1.1: a uprobe per site)'
          : 'bpf_program__attach_usdt per probe',
      target: 1.5,
    },
    {
      name: `one uprobe.multi link to ${FUNCTIONS} functions (glob)`,
      unit: 'ms',
      ...multiFigures,
      referenceName:
        harness.multi === undefined
          ? 'unavailable: libbpf 1.1 lacks attach_uprobe_multi (set BPFKIT_NEWEST_LIBBPF)'
          : 'bpf_program__attach_uprobe_multi',
      target: 1.2,
    },
  ];
}
