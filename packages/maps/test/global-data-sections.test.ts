import { describe, expect, it } from 'vitest';
import { isGlobalDataSection } from '../src/index.js';

describe('isGlobalDataSection', () => {
  it('takes .data, .rodata and .bss, alone or with a .name after them', () => {
    for (const name of ['.data', '.rodata', '.bss', '.data.counts', '.rodata.str1.1', '.bss.x', '.data..x'])
      expect(isGlobalDataSection(name), name).toBe(true);
  });

  it('refuses other sections, and names that only start like one', () => {
    for (const name of [
      '',
      '.text',
      '.rel.data',
      '.rodata.',
      '.data.\n',
      '.datax',
      '.bss_x',
      'data',
      '.DATA',
      '.maps',
      '.kconfig',
      '.struct_ops',
      'kprobe/do_sys_open',
    ])
      expect(isGlobalDataSection(name), name).toBe(false);
  });
});
