import { readFixture } from '@bpfkit/fixtures';
import { describe, expect, it } from 'vitest';
import { ElfError, parseElf, requireBpfObject } from '../src/index.js';

/** A fixture's bytes with `e_type` and `e_machine` replaced. */
function retyped(type: number, machine: number): Uint8Array {
  const bytes = readFixture('prog_array');
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  view.setUint16(16, type, true);
  view.setUint16(18, machine, true);
  return bytes;
}

describe('a BPF object', () => {
  it('is a relocatable ELF file for BPF, or for no machine as old compilers wrote', () => {
    expect(() => requireBpfObject(parseElf(readFixture('prog_array')))).not.toThrow();
    expect(() => requireBpfObject(parseElf(readFixture('map_in_map', 'eb')))).not.toThrow();
    expect(() => requireBpfObject(parseElf(retyped(1, 0)))).not.toThrow();
  });

  it.each([
    [1, 62, 'e_machine', 'a relocatable object for x86-64 (e_machine 62), little-endian'],
    [3, 183, 'e_type', 'a shared object or position-independent executable for AArch64 (e_machine 183)'],
    [2, 247, 'e_type', 'an executable for BPF (e_machine 247)'],
    [4, 9999, 'e_type', 'a core dump for an unknown machine (e_machine 9999)'],
  ])('is not e_type %i, e_machine %i: the error says what the file is', (type, machine, field, words) => {
    try {
      requireBpfObject(parseElf(retyped(type, machine), { name: 'x.o' }));
      expect.unreachable();
    } catch (error) {
      expect(ElfError.is(error) && error.code).toBe('not-bpf');
      expect(ElfError.is(error) && error.context).toMatchObject({ object: 'x.o', field });
      expect((error as Error).message).toContain(`not a BPF object: this is ${words}`);
      expect((error as Error).message).toContain('clang -target bpf');
    }
  });
});
