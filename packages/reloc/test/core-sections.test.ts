import { type BtfComposite, readObjectBtf } from '@bpfkit/btf';
import { readKernelBtf } from '@bpfkit/btf/node';
import { parseElf } from '@bpfkit/elf';
import { readFixture } from '@bpfkit/fixtures';
import { resolveMaps } from '@bpfkit/maps';
import { describe, expect, it } from 'vitest';
import { InsnClass, type ProgramPlan, planPrograms, relocateCore, writeInstructions } from '../src/index.js';

// core_sections: CO-RE accesses in `tc` (len_first), in `classifier` (mark_first and, not at
// the section's start, priority_and_len) and in the subprogram all three call, through a
// local __sk_buff flavor whose fields are all somewhere else in the kernel's.
const elf = parseElf(readFixture('core_sections'), { name: 'core_sections.el.o' });
const object = readObjectBtf(elf);
if (object?.ext === undefined) throw new Error('core_sections has no .BTF.ext');
const plans = planPrograms(elf, resolveMaps(elf, object.btf), { btf: object.btf, ext: object.ext });
const kernel = readKernelBtf();
const relocated = relocateCore(plans, { btf: object.btf, targets: { kernel }, littleEndian: true });

const plan = (name: string) => plans.find((p) => p.name === name) as ProgramPlan;
const local = ['priority', 'mark', 'len'];
const skb = kernel.byName('__sk_buff', 'struct') as BtfComposite;
const kernelOffset = (field: string) => (skb.members.find((m) => m.name === field)?.bitOffset ?? -8) / 8;

/** Fields each program reads in program order: its own accesses, then the subprogram's (priority, mark). */
const reads: Record<string, string[]> = {
  len_first: ['len', 'priority', 'mark'],
  mark_first: ['mark', 'priority', 'mark'],
  priority_and_len: ['priority', 'len', 'priority', 'mark'],
};
const fieldOf = (spec: string) => /::(\w+) /.exec(spec)?.[1] ?? /\.(\w+) /.exec(spec)?.[1];

describe('CO-RE over two program sections and a shared subprogram', () => {
  it('gives each program the fix-ups of its own code and of the subprogram, not the object’s', () => {
    expect(object.ext?.coreRelos.get('.text')).toHaveLength(2);
    expect([...(relocated.keys() ?? [])].sort()).toEqual(Object.keys(reads).sort());
    for (const [name, fields] of Object.entries(reads)) {
      const fixups = relocated.get(name)?.fixups ?? [];
      expect(
        fixups.map((f) => fieldOf(f.local)),
        name,
      ).toEqual(fields);
      // The subprogram's two fix-ups sit where it was appended in this program.
      const start = plan(name).subprograms[0]?.start ?? -1;
      expect(
        fixups.slice(-2).map((f) => f.insn),
        name,
      ).toEqual([start, start + 1]);
    }
  });

  it('places every fix-up on the load that reads its field, and moves it to the kernel’s offset', () => {
    for (const name of Object.keys(reads)) {
      const { instructions } = plan(name);
      const fixups = relocated.get(name)?.fixups ?? [];
      for (const fixup of fixups) {
        const compiled = instructions[fixup.insn];
        const field = fieldOf(fixup.local) as string;
        expect(compiled?.code !== undefined && compiled.code & 0x07, `${name} #${fixup.insn}`).toBe(InsnClass.LDX);
        expect(compiled?.off, `${name} #${fixup.insn} compiled`).toBe(local.indexOf(field) * 4);
        expect(fixup.newValue, `${name} #${fixup.insn} ${field}`).toBe(BigInt(kernelOffset(field)));
      }
    }
  });

  it('writes exactly those instructions at load, each with its own program’s value', () => {
    for (const name of Object.keys(reads)) {
      const { instructions } = plan(name);
      const fixups = relocated.get(name)?.fixups ?? [];
      const written = writeInstructions(instructions, () => 100, { patches: [fixups] }).instructions;
      const changed = written.flatMap((insn, i) => (insn.off === instructions[i]?.off ? [] : [i]));
      expect(changed, name).toEqual(fixups.map((f) => f.insn));
      for (const fixup of fixups) expect(written[fixup.insn]?.off).toBe(Number(fixup.newValue));
      // The plan keeps what the compiler wrote.
      expect(instructions[fixups[0]?.insn ?? -1]?.off).not.toBe(written[fixups[0]?.insn ?? -1]?.off);
    }
  });
});
