import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kernelRefusedFixtures, requireTool } from '@bpfkit/fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BpfObject } from '../src/index.js';
import { bpfUnavailable, privateBpffs } from './kernel.js';

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

function traced(args: string[], output: string): string {
  const run = spawnSync('strace', ['-f', '-v', '-s', '64', '-e', 'trace=bpf', '-o', output, ...args], {
    encoding: 'utf8',
  });
  expect(run.error).toBeUndefined();
  return readFileSync(output, 'utf8');
}

describe.skipIf(unavailable !== undefined || !tools)(
  'programs this kernel refuses (EPERM before the verifier): BPF_PROG_LOAD attributes equal libbpf’s',
  () => {
    let bpffs: ReturnType<typeof privateBpffs>;
    let logs: string;
    beforeAll(() => {
      bpffs = privateBpffs();
      logs = mkdtempSync(join(tmpdir(), 'bpfkit-strace-'));
    });
    afterAll(() => {
      bpffs.unmount();
      rmSync(logs, { recursive: true, force: true });
    });

    it.each(kernelRefusedFixtures().map((f) => [f.name, f] as const))('%s', (name, f) => {
      // Each fixture holds one program: libbpf stops at the first refused one.
      const [program] = BpfObject.open(f.path).programs.map((p) => p.name);
      const theirs = traced(
        ['bpftool', 'prog', 'loadall', f.path, join(bpffs.dir, `${name}-progs`)],
        join(logs, `${name}.libbpf`),
      );
      const pinRoot = join(bpffs.dir, `${name}-ours`);
      mkdirSync(pinRoot);
      const child = fileURLToPath(new URL('./load-once.ts', import.meta.url));
      const ours = traced([process.execPath, '--import', 'tsx', child, f.path, pinRoot], join(logs, `${name}.bpfkit`));
      expect(progLoad(ours, program as string)).toEqual(progLoad(theirs, program as string));
    });
  },
);
