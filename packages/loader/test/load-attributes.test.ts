import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixture, kernelRefusedFixtures, requireTool } from '@bpfkit/fixtures';
import { describe, expect, it } from 'vitest';
import { BpfObject } from '../src/index.js';
import { bpfUnavailable } from './kernel.js';
import { straceDirs, traced } from './strace.js';

const unavailable = bpfUnavailable();
const tools = requireTool('bpftool', 'bpftool', 'version') && requireTool('strace', 'strace', '-V');

/** The BPF_PROG_LOAD fields compared (fd-valued ones only as set or not). */
const fields = [
  'prog_type',
  'insn_cnt',
  'license',
  'kern_version',
  'prog_flags',
  'prog_name',
  'prog_ifindex',
  'expected_attach_type',
  'func_info_rec_size',
  'func_info_cnt',
  'line_info_rec_size',
  'line_info_cnt',
  'attach_btf_id',
  'attach_prog_fd',
];

/**
 * The first BPF_PROG_LOAD of program `name` in an strace log, as field → value: the
 * instructions with map fds blanked (their numbers differ between processes), and
 * `prog_btf_fd` as whether one was sent.
 */
function progLoad(log: string, name: string): Record<string, string> {
  const line = log.split('\n').find((l) => l.includes('bpf(BPF_PROG_LOAD') && l.includes(`prog_name="${name}"`));
  if (line === undefined) throw new Error(`no BPF_PROG_LOAD of '${name}' in:\n${log}`);
  const out: Record<string, string> = {};
  for (const field of fields)
    out[field] = new RegExp(`\\b${field}=("[^"]*"|KERNEL_VERSION\\([^)]*\\)|[^,}]+)`).exec(line)?.[1] ?? '(absent)';
  out.prog_btf_fd = /\bprog_btf_fd=(\d+)/.exec(line)?.[1] === '0' ? 'none' : 'set';
  out.insns = (/insns=\[(.*?)\], license=/.exec(line)?.[1] ?? '').replace(
    /src_reg=BPF_REG_([12]), off=0, imm=0x[0-9a-f]+/g,
    'src_reg=BPF_REG_$1, off=0, imm=<map fd>',
  );
  return out;
}

/**
 * Loads the one-program object `path` with libbpf (`tool prog loadall`) and with bpfkit, each
 * under strace, and expects the same BPF_PROG_LOAD attributes.
 */
function compareProgLoad(tool: string, name: string, path: string, dir: string, logs: string): void {
  // libbpf stops at the first refused program, so the objects compared hold one.
  const [program] = BpfObject.open(path).programs.map((p) => p.name);
  const theirs = traced([tool, 'prog', 'loadall', path, join(dir, `${name}-progs`)], join(logs, `${name}.libbpf`));
  const pinRoot = join(dir, `${name}-ours`);
  mkdirSync(pinRoot);
  const child = fileURLToPath(new URL('./load-once.ts', import.meta.url));
  const ours = traced([process.execPath, '--import', 'tsx', child, path, pinRoot], join(logs, `${name}.bpfkit`));
  expect(progLoad(ours, program as string)).toEqual(progLoad(theirs, program as string));
}

describe.skipIf(unavailable !== undefined || !tools)(
  'programs this kernel refuses (EPERM before the verifier): BPF_PROG_LOAD attributes equal libbpf’s',
  () => {
    const dirs = straceDirs();

    it.each(kernelRefusedFixtures().map((f) => [f.name, f] as const))('%s', (name, f) =>
      compareProgLoad('bpftool', name, f.path, dirs.bpffs.dir, dirs.logs),
    );
  },
);

/** A bpftool built with the newest libbpf (e.g. from its sources), whose load decisions Debian's predates. */
const newestBpftool = process.env.BPFKIT_BPFTOOL;

describe.skipIf(unavailable !== undefined || !tools || newestBpftool === undefined)(
  'BPF_PROG_LOAD attributes equal the newest libbpf’s ($BPFKIT_BPFTOOL)',
  () => {
    const dirs = straceDirs();

    // libbpf 1.5+ loads usdt programs with BPF_TRACE_UPROBE_MULTI where uprobe_multi links work.
    it.each(['usdt_probe'])('%s', (name) =>
      compareProgLoad(newestBpftool as string, name, fixture(name).path, dirs.bpffs.dir, dirs.logs),
    );
  },
);

describe.skipIf(unavailable !== undefined || !tools)(
  'freplace: refused here (EPERM before the verifier) for libbpf too, with the same BPF_PROG_LOAD',
  () => {
    const dirs = straceDirs();

    it('libbpf (bpf_program__set_attach_target) and bpfkit (attachProgramFd) send equal attributes', () => {
      const object = fixture('freplace').path;
      const tool = join(dirs.logs, 'freplace-libbpf');
      const source = fileURLToPath(new URL('./programs/freplace-libbpf.c', import.meta.url));
      execFileSync('cc', ['-O1', '-Wall', '-o', tool, source, '-lbpf']);
      const theirs = traced([tool, object], join(dirs.logs, 'freplace.libbpf'));
      const child = fileURLToPath(new URL('./freplace-once.ts', import.meta.url));
      const ours = traced([process.execPath, '--import', 'tsx', child, object], join(dirs.logs, 'freplace.bpfkit'));
      // The target program's fd differs between the processes: compared as sent or not.
      const load = (log: string) => {
        const fields = progLoad(log, 'keep_all');
        return { ...fields, attach_prog_fd: Number(fields.attach_prog_fd) > 0 ? 'set' : fields.attach_prog_fd };
      };
      expect(load(ours)).toEqual(load(theirs));
      expect(load(ours)).toMatchObject({ prog_type: 'BPF_PROG_TYPE_EXT', attach_prog_fd: 'set' });
      // Both refused with EPERM, so neither reached the BPF_LINK_CREATE that attaches it.
      for (const log of [theirs, ours]) {
        const line = log.split('\n').find((l) => l.includes('BPF_PROG_LOAD') && l.includes('prog_name="keep_all"'));
        expect(line).toMatch(/= -1 EPERM/);
        expect(log).not.toContain('BPF_LINK_CREATE');
      }
    });
  },
);
