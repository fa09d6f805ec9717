import { readObjectBtf } from '@bpfkit/btf';
import { parseElf } from '@bpfkit/elf';
import { readFixture } from '@bpfkit/fixtures';
import { resolveMaps } from '@bpfkit/maps';
import { describe, expect, it } from 'vitest';
import { kernelProgramName, planPrograms } from '../src/index.js';

describe('kernelProgramName', () => {
  it('cuts a name to BPF_OBJ_NAME_LEN - 1 bytes, as libbpf does, and keeps a short one as it is', () => {
    expect(kernelProgramName('read_other_counter')).toBe('read_other_coun');
    expect(kernelProgramName('count_samples')).toBe('count_samples');
    expect(kernelProgramName('exactly_15_char')).toBe('exactly_15_char');
  });

  it('replaces characters the kernel refuses in a name with an underscore', () => {
    expect(kernelProgramName('probe:sys-enter$1')).toBe('probe_sys_enter');
    expect(kernelProgramName('a.b_c')).toBe('a.b_c');
  });
});

describe('program plans', () => {
  it('carry the name the kernel gets beside the entry function name', () => {
    const elf = parseElf(readFixture('perf_sampling'));
    const plans = planPrograms(elf, resolveMaps(elf, readObjectBtf(elf)?.btf));
    expect(plans.map((p) => [p.name, p.kernelName])).toEqual([
      ['count_samples', 'count_samples'],
      ['read_other_counter', 'read_other_coun'],
    ]);
  });
});
