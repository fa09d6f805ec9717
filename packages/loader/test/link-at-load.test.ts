import { parseElf } from '@bpfkit/elf';
import { readFixture } from '@bpfkit/fixtures';
import { RelocError } from '@bpfkit/reloc';
import { describe, expect, it } from 'vitest';
import { BpfObject, LoadError } from '../src/index.js';
import { bpfUnavailable } from './kernel.js';
import { thrown } from './thrown.js';

const unavailable = bpfUnavailable();

/**
 * `globals_subprogs` with program `entry`'s call to `scale` aimed one instruction into
 * `scale`: `entry` cannot link ('bad-call'), `second` (calling only `add`) still can.
 */
function entryCallingIntoScale(): { bytes: Uint8Array; insn: number } {
  const bytes = readFixture('globals_subprogs');
  const elf = parseElf(bytes);
  const xdp = elf.sectionByName('xdp');
  const call = elf.relocationsFor(xdp?.index ?? -1)?.entries.find((r) => elf.symbol(r.symbol).name === 'scale');
  if (xdp === undefined || call === undefined) throw new Error("the fixture's entry no longer calls scale");
  const view = new DataView(xdp.data.buffer, xdp.data.byteOffset + call.offset + 4, 4);
  view.setInt32(0, view.getInt32(0, true) + 1, true); // the section data aliases `bytes`
  return { bytes, insn: call.offset / 8 };
}

describe('linking at load, as libbpf', () => {
  it('opens an object whose program cannot link, and throws the link error where its code is first read', () => {
    const { bytes, insn } = entryCallingIntoScale();
    using obj = BpfObject.open(bytes, { objectName: 'bad_call.o' });
    const entry = obj.programs.find((p) => p.name === 'entry');
    const error = thrown(() => entry?.instructions);
    expect(RelocError.is(error) && error.code).toBe('bad-call');
    expect((error as RelocError).context).toEqual({
      object: 'bad_call.o',
      program: 'entry',
      section: 'xdp',
      insn,
    });
    // The same error on each read, and the other program links.
    expect(thrown(() => entry?.subprograms)).toEqual(error);
    expect(obj.programs.find((p) => p.name === 'second')?.subprograms.map((s) => s.name)).toEqual(['add']);
  });

  it('fails relocateCore, the early check, naming the program that cannot link and its link error', () => {
    const { bytes } = entryCallingIntoScale();
    using obj = BpfObject.open(bytes, { objectName: 'bad_call.o' });
    const error = thrown(() => obj.relocateCore());
    expect(LoadError.is(error) && error.step).toBe('load-program');
    expect((error as LoadError).context).toMatchObject({ object: 'bad_call.o', program: 'entry' });
    expect(RelocError.is((error as LoadError).cause) && ((error as LoadError).cause as RelocError).code).toBe(
      'bad-call',
    );
  });
});

describe.skipIf(unavailable !== undefined)('linking at load, in the kernel', () => {
  it('fails the load with the link error when the program that cannot link loads', () => {
    const { bytes, insn } = entryCallingIntoScale();
    using obj = BpfObject.open(bytes, { objectName: 'bad_call.o' });
    const error = thrown(() => obj.load());
    expect(LoadError.is(error) && error.step).toBe('load-program');
    expect((error as LoadError).context).toMatchObject({ object: 'bad_call.o', program: 'entry' });
    const cause = (error as LoadError).cause;
    expect(RelocError.is(cause) && cause.context).toEqual({
      object: 'bad_call.o',
      program: 'entry',
      section: 'xdp',
      insn,
    });
  });

  it('loads the other programs when that program has autoload off', () => {
    const { bytes } = entryCallingIntoScale();
    using obj = BpfObject.open(bytes, { objectName: 'bad_call.o' });
    for (const plan of obj.programs) plan.autoload = plan.name !== 'entry';
    obj.load();
    expect(obj.program('second').fd).toBeGreaterThan(0);
    expect(() => obj.program('entry')).toThrow(LoadError);
  });
});
