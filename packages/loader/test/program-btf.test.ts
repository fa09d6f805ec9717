import { fixture } from '@bpfkit/fixtures';
import { lineInfoOf, type ProgramInstruction } from '@bpfkit/reloc';
import { type BpfBackend, getBackend, setBackend } from '@bpfkit/syscall';
import { describe, expect, it } from 'vitest';
import { BpfObject } from '../src/index.js';
import { bpfUnavailable } from './kernel.js';

const unavailable = bpfUnavailable();

/** Loads `object` through a backend that keeps a copy of each BPF_PROG_LOAD attribute block. */
function recordedLoads(object: BpfObject): DataView[] {
  const real = getBackend();
  const loads: DataView[] = [];
  const recorder: BpfBackend = {
    ...real,
    bpf(command: number, attr: Uint8Array, size: number) {
      if (command === 5) loads.push(new DataView(attr.slice(0, size).buffer));
      return real.bpf(command, attr, size);
    },
  };
  setBackend(recorder);
  try {
    object.load();
  } finally {
    setBackend(real);
  }
  return loads;
}

describe.skipIf(unavailable !== undefined)('program BTF, func info and line info at load', () => {
  it('send the program BTF with every program, and line info without func info when only that exists', () => {
    using object = BpfObject.open(fixture('linux_externs').path);
    const [plan] = object.programs;
    if (plan === undefined) throw new Error('no program');
    const lines = lineInfoOf(plan.instructions).length;
    // As for an entry point clang gave no func record: the other kind still goes.
    (plan as { instructions: readonly ProgramInstruction[] }).instructions = plan.instructions.map((insn) => ({
      ...insn,
      func: undefined,
    }));
    const load = recordedLoads(object).at(-1); // after the feature probes
    expect(load?.getUint32(72, true)).not.toBe(0); // prog_btf_fd
    expect(load?.getUint32(88, true)).toBe(0); // func_info_cnt
    expect(load?.getUint32(104, true)).toBe(lines); // line_info_cnt
    expect(lines).toBeGreaterThan(0);
  });

  it('refuse a program whose subprogram has no func info, before the kernel sees it', () => {
    using object = BpfObject.open(fixture('bad_asm_subprogram').path);
    expect(() => recordedLoads(object)).toThrow(/subprogram 'ret_two' has no func info in .BTF.ext/);
  });
});
