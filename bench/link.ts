// Link rows of `npm run bench`: attaching a usdt program to every probe of a generated
// binary (100 probes) beside libbpf's bpf_program__attach_usdt, and one uprobe.multi link
// to its 1,000 functions beside bpf_program__attach_uprobe_multi. Debian's libbpf 1.1 has
// no uprobe_multi: that reference needs a newer libbpf installed under the prefix named by
// BPFKIT_NEWEST_LIBBPF (include/bpf/libbpf.h, lib/libbpf.a); without one the row says the
// reference is unavailable. ELF files are parsed afresh in every round on both sides.
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

/** Median ms of `rounds` runs of `attach` (links closed after each, untimed), ELF caches cleared first. */
function medianMs(rounds: number, attach: () => Link[]): number {
  const samples: number[] = [];
  for (let round = -2; round < rounds; round++) {
    clearBinaryCache();
    const started = performance.now();
    const links = attach();
    const spent = performance.now() - started;
    for (const link of links) link.close();
    if (round >= 0) samples.push(spent);
  }
  return samples.sort((a, b) => a - b)[samples.length >> 1] as number;
}

function reference(harness: string, figure: string, object: string, what: string, rounds: number): number | undefined {
  const out = JSON.parse(execFileSync(harness, [figure, object, target, what, String(rounds)], { encoding: 'utf8' }));
  return out.median_ns === undefined ? undefined : out.median_ns / 1e6;
}

/** The two link rows. */
export function linkFigures(quick: boolean): Figure[] {
  const rounds = quick ? 5 : 25;
  const harness = build();
  const usdtObject = fixture('usdt_probe').path;
  const multiObject = fixture('link_kinds').path;
  using usdt = BpfObject.open(usdtObject);
  usdt.load();
  const maps = { specs: usdt.map('__bpf_usdt_specs').fd, ipToSpec: usdt.map('__bpf_usdt_ip_to_spec_id').fd };
  const onTick = usdt.program('on_tick');
  // Where uprobe_multi links work, the loader loads usdt programs for them (libbpf 1.5+ too),
  // and such a program attaches only through one; libbpf 1.1 here attaches a uprobe per site.
  const multiLink = onTick.expectedAttachType === AttachType.TRACE_UPROBE_MULTI;
  const usdtOurs = medianMs(rounds, () =>
    Array.from({ length: PROBES }, (_, i) =>
      attachUsdt(onTick.fd, target, 'bench', `p${i}`, maps, { multi: multiLink }),
    ),
  );
  using multi = BpfObject.open(multiObject);
  multi.load();
  const multiOurs = medianMs(rounds, () => [
    attachUprobeMulti(multi.program('on_uprobe_multi').fd, target, { pattern: 'bench_f*' }),
  ]);
  return [
    {
      name: `attach a usdt program to all ${PROBES} probes of a binary`,
      unit: 'ms',
      ours: usdtOurs,
      reference: reference(harness.usdt, 'usdt-all', usdtObject, String(PROBES), rounds),
      referenceName: 'bpf_program__attach_usdt per probe',
      target: 1.5,
    },
    {
      name: `one uprobe.multi link to ${FUNCTIONS} functions (glob)`,
      unit: 'ms',
      ours: multiOurs,
      reference:
        harness.multi === undefined
          ? undefined
          : reference(harness.multi, 'uprobe-multi', multiObject, 'bench_f*', rounds),
      referenceName:
        harness.multi === undefined
          ? 'unavailable: libbpf 1.1 lacks attach_uprobe_multi (set BPFKIT_NEWEST_LIBBPF)'
          : 'bpf_program__attach_uprobe_multi',
      target: 1.2,
    },
  ];
}
