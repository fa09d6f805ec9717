import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openElfFile, openElfFileSync } from '@bpfkit/elf/node';
import { fixture } from '@bpfkit/fixtures';
import { describe, expect, it } from 'vitest';
import { ElfError, Machine } from '../src/index.js';

describe('@bpfkit/elf/node', () => {
  it('opens a file from disk, sync and async', async () => {
    const { path } = fixture('map_in_map');
    expect(openElfFileSync(path).header.machine).toBe(Machine.BPF);
    const elf = await openElfFile(path);
    expect(elf.name).toBe('map_in_map.el.o');
    expect(elf.sectionByName('.maps')).toBeDefined();
  });

  it('names the file in errors', () => {
    const path = join(tmpdir(), `bpfkit-not-elf-${process.pid}.o`);
    writeFileSync(path, 'not an elf file at all');
    try {
      openElfFileSync(path);
      expect.unreachable();
    } catch (error) {
      expect(ElfError.is(error)).toBe(true);
      expect((error as ElfError).context.object).toBe(`bpfkit-not-elf-${process.pid}.o`);
    }
  });
});
