import { ElfError } from '@bpfkit/elf';
import { readFixture } from '@bpfkit/fixtures';
import { describe, expect, it } from 'vitest';
import { BpfObject } from '../src/index.js';

describe('opening', () => {
  it('refuses an ELF file built for another machine before anything reaches the kernel', () => {
    const bytes = readFixture('prog_array');
    new DataView(bytes.buffer, bytes.byteOffset).setUint16(18, 62, true); // EM_X86_64
    try {
      BpfObject.open(bytes, { objectName: 'x86.o' });
      expect.unreachable();
    } catch (error) {
      expect(ElfError.is(error) && error.code).toBe('not-bpf');
      expect((error as Error).message).toContain('a relocatable object for x86-64');
    }
  });
});
