import { existsSync } from 'node:fs';
import { BtfBuilder, parseBtf, readObjectBtf } from '@bpfkit/btf';
import { parseElf } from '@bpfkit/elf';
import { fixture, readFixture } from '@bpfkit/fixtures';
import { BpfObject } from '@bpfkit/loader';
import { resolveMaps } from '@bpfkit/maps';
import { planPrograms, RelocError } from '@bpfkit/reloc';
import { BpfSyscallError, createMap, Errno } from '@bpfkit/syscall';
import { AttachType } from '@bpfkit/uapi';
import { describe, expect, it } from 'vitest';
import { bpfUnavailable } from '../../syscall/test/kernel.js';
import { ExitCode } from '../src/exit-codes.js';
import { kernelSupportProblems } from '../src/kernel-support.js';
import { bpfkitInProcess as bpfkit } from './in-process.js';

/** `bpfkit inspect FIXTURE --json`: its exit status, problems and notes. */
async function inspect(name: string): Promise<{ status: number; problems: string[]; notes: string[] }> {
  const { status, output } = await bpfkit('inspect', fixture(name).path, '--json');
  const { problems, notes } = JSON.parse(output) as { problems: string[]; notes: string[] };
  return { status, problems, notes };
}

const noKernelBtf = !existsSync('/sys/kernel/btf/vmlinux');

describe('bpfkit inspect reports what it can know without loading', () => {
  it('a section no loader knows', async () => {
    const { status, problems } = await inspect('bad_unknown_section');
    expect(status).toBe(ExitCode.INPUT);
    expect(problems).toEqual([
      "prog 'misspelled': section 'kprobes/do_nanosleep' names no program type a loader knows",
    ]);
  });

  it('map definitions the kernel refuses to create, inner ones too, and a ring buffer that gets rounded up', async () => {
    const { status, problems, notes } = await inspect('bad_map_rules');
    expect(status).toBe(ExitCode.INPUT);
    expect(problems.map((p) => /map '([^']+)': the kernel refuses this (\w+)/.exec(p)?.slice(1))).toEqual([
      ['wide_index', 'key_size'],
      ['keyed_ring', 'key_size'],
      ['mapped_hash', 'map_flags'],
      ['sized_storage', 'max_entries'],
      ['outer_of_wide.inner', 'key_size'],
    ]);
    expect(notes).toContain(
      "map 'odd_ring': max_entries 5000 is not a power-of-two number of 4096-byte pages: created with 8192, as libbpf does",
    );
  });

  it.skipIf(bpfUnavailable())(
    'each of those maps is refused by the kernel, and created once its one rule holds',
    () => {
      const cases = [
        { name: 'wide_index', type: 2, keySize: 8, valueSize: 4, maxEntries: 4, fixed: { keySize: 4 } },
        { name: 'huge_percpu', type: 6, keySize: 4, valueSize: 40000, maxEntries: 1, fixed: { valueSize: 32768 } },
        { name: 'keyed_ring', type: 27, keySize: 4, valueSize: 0, maxEntries: 4096, fixed: { keySize: 0 } },
        { name: 'mapped_hash', type: 1, keySize: 4, valueSize: 4, maxEntries: 16, flags: 0x400, fixed: { flags: 0 } },
      ];
      for (const { fixed, ...map } of cases) {
        let refused: unknown;
        try {
          createMap(map).close();
        } catch (error) {
          refused = error;
        }
        expect(BpfSyscallError.is(refused), map.name).toBe(true);
        expect([Errno.EINVAL, Errno.E2BIG], map.name).toContain((refused as BpfSyscallError).errno);
        createMap({ ...map, ...fixed }).close();
      }
    },
  );

  it.skipIf(noKernelBtf)('a helper the running kernel does not have (from its BTF, no privileges needed)', async () => {
    const { problems } = await inspect('bad_helpers');
    expect(problems).toContain("prog 'future_helper': insn #0: calls helper #999, which this kernel does not have");
  });

  it.skipIf(bpfUnavailable())('a helper the program type may not call (feature probe, with CAP_BPF)', async () => {
    const { problems, notes } = await inspect('bad_helpers');
    expect(problems).toContain(
      "prog 'tracing_helper': insn #1: XDP programs may not call bpf_override_return (#58) on this kernel (feature probe)",
    );
    expect(notes).toEqual([]);
  });

  it.skipIf(noKernelBtf)('externs the kernel cannot satisfy: a kfunc and a config option', async () => {
    const { problems } = await inspect('bad_externs');
    expect(problems).toEqual([
      expect.stringMatching(/^prog 'call_missing': .*the running kernel has no kfunc 'bpfkit_no_such_kfunc'/),
      expect.stringMatching(/^map '[^']*\.kconfig': extern 'CONFIG_BPFKIT_NO_SUCH_OPTION': \(strong\) not found/),
    ]);
  });

  it('an extern no object defines, with the text load refuses the object with at open', async () => {
    const { status, problems } = await inspect('bad_unlinked_extern');
    let refused: unknown;
    try {
      BpfObject.open(fixture('bad_unlinked_extern').path);
    } catch (error) {
      refused = error;
    }
    expect(RelocError.is(refused) && refused.code).toBe('unsupported-extern');
    expect(status).toBe(ExitCode.INPUT);
    expect(problems).toContain((refused as RelocError).message);
    expect(problems.filter((p) => p.includes("'bpfkit_defined_elsewhere'"))).toHaveLength(1);
  });

  it('bpfkit gen skeleton refuses that object as load does, with the same text', async () => {
    const { status, stderr } = await bpfkit('gen', 'skeleton', fixture('bad_unlinked_extern').path);
    expect(status).toBe(ExitCode.INPUT);
    expect(stderr).toContain(
      "object 'bad_unlinked_extern.el.o': extern function 'bpfkit_defined_elsewhere' is defined by no object",
    );
  });

  it.skipIf(noKernelBtf)("a kfunc declared with another prototype than the kernel's, as a mismatch", async () => {
    const { problems } = await inspect('bad_kfunc_prototype');
    expect(problems).toEqual([
      expect.stringMatching(/^prog 'wrong_prototype': .*kfunc 'bpf_rcu_read_lock' is declared with a prototype that/),
    ]);
  });

  it('program types, attach types and helpers an older kernel does not list, from its BTF', () => {
    const file = parseElf(readFixture('bad_helpers'), { name: 'bad_helpers.el.o' });
    const object = readObjectBtf(file);
    const plans = planPrograms(file, resolveMaps(file, object?.btf), object?.ext ? { ext: object.ext } : {});
    // A kernel whose enums end before XDP, BPF_XDP and bpf_override_return.
    const old = new BtfBuilder();
    const enumOf = (name: string, values: [string, number][]) =>
      old.add({ kind: 'enum', name, size: 4, signed: false, values: values.map(([n, value]) => ({ name: n, value })) });
    enumOf('bpf_prog_type', [
      ['BPF_PROG_TYPE_SOCKET_FILTER', 1],
      ['__MAX_BPF_PROG_TYPE', 6],
    ]);
    enumOf('bpf_attach_type', [
      ['BPF_CGROUP_INET_INGRESS', 0],
      ['__MAX_BPF_ATTACH_TYPE', AttachType.XDP],
    ]);
    enumOf('bpf_func_id', [
      ['BPF_FUNC_map_lookup_elem', 1],
      ['__BPF_FUNC_MAX_ID', 58],
    ]);
    const problems = kernelSupportProblems(plans, parseBtf(old.encode()));
    expect(problems).toEqual([
      "prog 'future_helper': program type XDP (6) of section 'xdp' is unknown to this kernel (its enum bpf_prog_type ends before it)",
      `prog 'future_helper': attach type XDP (${AttachType.XDP}) of section 'xdp' is unknown to this kernel`,
      "prog 'future_helper': insn #0: calls helper #999, which this kernel does not have",
      "prog 'tracing_helper': program type XDP (6) of section 'xdp' is unknown to this kernel (its enum bpf_prog_type ends before it)",
      `prog 'tracing_helper': attach type XDP (${AttachType.XDP}) of section 'xdp' is unknown to this kernel`,
      "prog 'tracing_helper': insn #1: calls helper #58, which this kernel does not have",
    ]);
  });
});
