import { describe, expect, it } from 'vitest';
import type { ObjectDescription } from '../src/describe-object.js';
import { toDot, toMermaid } from '../src/graph-formats.js';

/** An object description whose names carry quotes and markup, as a crafted ELF can. */
function hostile(): ObjectDescription {
  return {
    name: 'x"y.o',
    byteOrder: 'little',
    sections: [],
    programs: [{ name: 'p"]--> evil', section: 'xdp', type: 'XDP', maps: ['m<b>'] }],
    maps: [{ name: 'm<b>', type: 'ARRAY', slots: [] }],
  } as unknown as ObjectDescription;
}

describe('graph formats', () => {
  it('writes quotes and markup in Mermaid labels as entity codes, so a name cannot end its label', () => {
    const text = toMermaid(hostile());
    expect(text).toContain('prog_p______evil["p#quot;]--#gt; evil<br/>XDP"]');
    expect(text).toContain('map_m_b_(["m#lt;b#gt;<br/>ARRAY"])');
    expect(text).not.toContain('<b>');
  });

  it('escapes quotes in DOT labels', () => {
    expect(toDot(hostile())).toContain('label="p\\"]--> evil');
  });
});
