import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fixture, requireTool } from '@bpfkit/fixtures';
import { beforeAll, describe, expect, it } from 'vitest';
import { bpfUnavailable } from '../../loader/test/kernel.js';
import { straceDirs, traced } from '../../loader/test/strace.js';

// This kernel has no kprobes (no kprobe PMU, no kprobe_events) and no fprobes, so kprobes,
// kretprobes, ksyscalls and kprobe.multi links cannot be attached here. Instead, the same
// object is attached by libbpf (programs/attach-libbpf.c, built here against Debian's
// libbpf) and by bpfkit (attach-once.ts), each under strace, and every perf_event_open, bpf
// attach call and kprobe_events write after loading is compared field by field. For the
// kprobe paths each side runs in a mount namespace of its own that shows it a kprobe PMU
// (a made-up PMU type the kernel refuses) or a tracefs with a kprobe_events file, so that
// both go as far as this kernel lets them. Netkit links (no netkit on this kernel either) are
// compared the same way beside the newest libbpf, as Debian's predates netkit.

const unavailable = bpfUnavailable();
const tools = requireTool('strace', 'strace', '-V') && requireTool('cc', 'cc', '--version');
const object = fixture('kprobe_attach').path;
/** Netkit programs (with sections Debian's libbpf 1.1 does not know: the newest libbpf only). */
const netkitObject = fixture('link_net').path;
const marker = '/bpfkit-attach-marker';
const runner = new URL('./attach-once.ts', import.meta.url).pathname;
const source = new URL('./programs/attach-libbpf.c', import.meta.url).pathname;

/** A machine with a kprobe PMU: sysfs shows one, of a type no PMU has (perf_event_open answers ENOENT). */
const kprobePmu = `mount -t tmpfs none /sys/bus/event_source/devices
mkdir -p /sys/bus/event_source/devices/kprobe/format
echo 4242 > /sys/bus/event_source/devices/kprobe/type
echo config:0 > /sys/bus/event_source/devices/kprobe/format/retprobe`;

/**
 * A machine without a kprobe PMU but with tracefs kprobe_events (the legacy interface):
 * the file takes every line, and no probe then shows up under events/ (reading its id fails).
 */
const kprobeEvents = `mount -t tmpfs none /sys/bus/event_source/devices
mount -t tmpfs none /sys/kernel/tracing
mkdir /sys/kernel/tracing/events
touch /sys/kernel/tracing/kprobe_events`;

/** The attach calls of a strace log after the marker, with what differs between processes normalised. */
function attachCalls(log: string): string[] {
  const lines = log.split('\n');
  const start = lines.findIndex((line) => line.includes(marker));
  if (start < 0) throw new Error(`no marker in:\n${log}`);
  const calls = lines
    .slice(start + 1)
    .map((line) => line.replace(/^\d+ +/, ''))
    .filter((line) =>
      /^(perf_event_open\(|bpf\(BPF_(LINK_CREATE|RAW_TRACEPOINT_OPEN|PROG_ATTACH)|write\(\d+<[^>]*kprobe_events>)/.test(
        line,
      ),
    );
  return dropWrapperProbe(calls).map(normalise);
}

/**
 * libbpf decides whether syscalls have wrappers by probing `__x64_sys_bpf` (a probe added and
 * removed at once); bpfkit reads /proc/kallsyms instead. The probe's two writes are left out.
 */
function dropWrapperProbe(calls: string[]): string[] {
  const probe = calls.map((call) => /"p:kprobes\/(\w+) \w*sys_bpf\+0x0"/.exec(call)?.[1]).find(Boolean);
  return probe === undefined
    ? calls
    : calls.filter((call) => !call.includes(`/${probe}"`) && !call.includes(`/${probe} `));
}

function normalise(call: string): string {
  return (
    call
      // fds and their paths
      .replace(/(\(|_fd=)\d+(<[^>]*>)?/g, '$1<fd>')
      // the function name's address in this process (its text is not shown)
      .replace(/config1=0x[0-9a-f]+/, 'config1=<pointer>')
      // each libbpf sends its headers' sizeof(struct perf_event_attr), bpfkit PERF_ATTR_SIZE_VER5;
      // the fields past it are zero on libbpf's side, as expectZeroTail checks
      .replace(/size=PERF_ATTR_SIZE_VER\d+/, 'size=<size>')
      .replace(/, aux_sample_size=0, sig_data=0\}/, '}')
      // tracefs event names carry the process id and a counter
      .replace(/((?:k|u)(?:ret)?probes)\/\w+/g, '$1/<event>')
      // the attr size passed to bpf(), and byte counts
      .replace(/\}, \d+\) = /, '}, <size>) = ')
      .replace(/, \d+\) = \d+$/, ', <n>) = <n>')
      .replace(/= \d+<[^>]*>$/, '= <fd>')
  );
}

/** A newer libbpf's prefix (include/, lib/libbpf.a), as bench/link.ts takes it: Debian's 1.1 refuses tracing cookies on tp_btf links itself. */
const newest = process.env.BPFKIT_NEWEST_LIBBPF;

describe.skipIf(unavailable !== undefined || !tools)(
  'attach attributes equal libbpf’s where this kernel cannot attach',
  () => {
    const dirs = straceDirs();
    let libbpf: string;
    let newestLibbpf: string;

    beforeAll(() => {
      libbpf = join(dirs.logs, 'attach-libbpf');
      execFileSync('cc', ['-O1', '-Wall', '-o', libbpf, source, '-lbpf']);
      if (newest !== undefined) {
        newestLibbpf = join(dirs.logs, 'attach-newest');
        // libbpf's `make install` puts the library in lib64 on x86-64 unless LIBDIR says otherwise.
        const library =
          [`${newest}/lib/libbpf.a`, `${newest}/lib64/libbpf.a`].find(existsSync) ?? `${newest}/lib/libbpf.a`;
        execFileSync('cc', [
          '-O1',
          '-Wall',
          `-I${newest}/include`,
          '-o',
          newestLibbpf,
          source,
          library,
          '-lelf',
          '-lz',
        ]);
      }
    });

    /**
     * Both sides' attach calls for `program` of `path` (with `extra` runner arguments,
     * `oursExtra` for bpfkit's where they differ), each run with `setup` first.
     */
    function both(
      name: string,
      program: string,
      setup?: string,
      extra: string[] = [],
      oursExtra = extra,
      tool = libbpf,
      path = object,
    ) {
      const calls = 'bpf,perf_event_open,openat,write';
      const options = setup === undefined ? { calls, paths: true } : { calls, paths: true, setup };
      const theirs = traced([tool, path, program, ...extra], join(dirs.logs, `${name}.libbpf`), options);
      const ours = traced(
        [process.execPath, '--import', 'tsx', runner, path, program, ...oursExtra],
        join(dirs.logs, `${name}.bpfkit`),
        options,
      );
      return { theirs: attachCalls(theirs), ours: attachCalls(ours), rawTheirs: theirs };
    }

    it.each([
      ['kprobe', 'on_entry'],
      ['kprobe at an offset', 'on_offset'],
      ['kretprobe', 'on_return'],
    ])('%s through the kprobe PMU: the same perf_event_open attributes', (_, program) => {
      const { theirs, ours, rawTheirs } = both(`pmu-${program}`, program, kprobePmu);
      expect(theirs).toHaveLength(1);
      expect(theirs[0]).toMatch(/^perf_event_open\(\{type=0x1092 .* = -1 ENOENT/);
      expect(ours).toEqual(theirs);
      // libbpf's larger attr holds nothing bpfkit's leaves out.
      expect(rawTheirs).not.toMatch(/aux_sample_size=[1-9]|sig_data=[1-9]/);
    });

    it.each([
      ['kprobe', 'on_entry', 'p:kprobes/<event> do_nanosleep+0x0'],
      ['kprobe at an offset', 'on_offset', 'p:kprobes/<event> do_nanosleep+0x4'],
      ['kretprobe', 'on_return', 'r:kretprobes/<event> do_nanosleep+0x0'],
      ['ksyscall (arch prefix)', 'on_syscall', 'p:kprobes/<event> __x64_sys_getppid+0x0'],
      ['kretsyscall', 'on_syscall_return', 'r:kretprobes/<event> __x64_sys_getppid+0x0'],
    ])('%s through tracefs kprobe_events: the same lines written', (_, program, line) => {
      const { theirs, ours } = both(`legacy-${program}`, program, kprobeEvents);
      // The probe, then its removal once its id cannot be read.
      expect(theirs).toEqual([
        expect.stringContaining(`"${line}"`),
        expect.stringMatching(/"-:k(ret)?probes\/<event>"/),
      ]);
      expect(ours).toEqual(theirs);
    });

    it('a kretprobe with maxactive writes libbpf’s kretprobe line with r<maxactive> (libbpf has no such option)', () => {
      const { theirs, ours } = both(
        'legacy-maxactive',
        'on_return',
        kprobeEvents,
        [],
        ['maxactive', '4', 'do_nanosleep'],
      );
      expect(ours).toEqual(theirs.map((call) => call.replace('"r:', '"r4:')));
    });

    it.each([
      ['kprobe.multi with a glob', 'on_multi', []],
      ['kretprobe.multi with a glob', 'on_multi_return', []],
      ['kprobe.multi on named functions with cookies', 'on_multi', ['multi', 'do_nanosleep,hrtimer_nanosleep', '7,8']],
    ])('%s: the same BPF_LINK_CREATE attributes', (_, program, extra) => {
      const { theirs, ours } = both(`multi-${program}-${extra.length}`, program, undefined, extra);
      expect(theirs).toEqual([
        expect.stringMatching(/^bpf\(BPF_LINK_CREATE.*attach_type=BPF_TRACE_KPROBE_MULTI.*EOPNOTSUPP/),
      ]);
      expect(ours).toEqual(theirs);
    });

    it('tp_btf, attached here through the call libbpf makes for fentry/fexit/fmod_ret too', () => {
      const { theirs, ours } = both('tracing', 'on_tp_btf');
      expect(theirs).toEqual([expect.stringMatching(/^bpf\(BPF_LINK_CREATE.*attach_type=BPF_TRACE_RAW_TP.* = <fd>$/)]);
      expect(ours).toEqual(theirs);
    });

    it.skipIf(newest === undefined)('tp_btf with a cookie, beside the newest libbpf ($BPFKIT_NEWEST_LIBBPF)', () => {
      const extra = ['cookie', '7'];
      const { theirs, ours } = both('tracing-cookie', 'on_tp_btf', undefined, extra, extra, newestLibbpf);
      expect(theirs).toEqual([expect.stringMatching(/^bpf\(BPF_LINK_CREATE.*BPF_TRACE_RAW_TP.*\\x07.* = <fd>$/)]);
      expect(ours).toEqual(theirs);
    });

    it.skipIf(newest === undefined).each([
      // strace here predates netkit: it shows the attach types as numbers, and the interface index as a target fd.
      ['netkit_primary', '0x36 /\\* BPF_\\?\\?\\? \\*/'],
      ['netkit_peer', '0x37 /\\* BPF_\\?\\?\\? \\*/'],
    ])('%s, refused here (no netkit), beside the newest libbpf: the same BPF_LINK_CREATE', (program, type) => {
      const extra = ['netkit', '1'];
      const { theirs, ours } = both(`netkit-${program}`, program, undefined, extra, extra, newestLibbpf, netkitObject);
      expect(theirs).toEqual([
        expect.stringMatching(new RegExp(`^bpf\\(BPF_LINK_CREATE.*attach_type=${type},.* EINVAL`)),
      ]);
      expect(ours).toEqual(theirs);
    });
  },
);
