import { makeMapSpec } from '@bpfkit/maps';
import { describe, expect, it } from 'vitest';
import { mapsBoundToPrograms } from '../src/index.js';

describe('maps bound to every program', () => {
  it('are the read-only data maps, .rodata and .rodata.*, not other data or BTF maps', () => {
    const maps = [
      makeMapSpec({ name: 'obj.rodata', source: 'data', section: '.rodata' }),
      makeMapSpec({ name: 'obj.rodata.cst', source: 'data', section: '.rodata.cst16' }),
      makeMapSpec({ name: 'obj.data', source: 'data', section: '.data' }),
      makeMapSpec({ name: 'obj.bss', source: 'data', section: '.bss' }),
      makeMapSpec({ name: 'obj.kconfig', source: 'kconfig', section: '.kconfig' }),
      makeMapSpec({ name: 'rodata_like', source: 'btf', section: '.maps' }),
      makeMapSpec({ name: 'obj.rodatax', source: 'data', section: '.rodatax' }),
    ];
    expect(mapsBoundToPrograms(maps)).toEqual(['obj.rodata', 'obj.rodata.cst']);
  });
});
