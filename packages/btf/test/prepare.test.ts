import { parseElf } from '@bpfkit/elf';
import { readFixture } from '@bpfkit/fixtures';
import { describe, expect, it } from 'vitest';
import {
  allBtfFeatures,
  datasecFixup,
  fixupDatasecs,
  type ObjectBtfFacts,
  prepareObjectBtf,
  readObjectBtf,
} from '../src/index.js';

function object(name: string) {
  const elf = parseElf(readFixture(name), { name: `${name}.el.o` });
  const btf = readObjectBtf(elf)?.btf;
  if (btf === undefined) throw new Error(`${name} has no BTF`);
  return { elf, btf };
}

describe('prepareObjectBtf', () => {
  it('gives BTF with DATASECs sized from the ELF, its bytes parsing to it, and sends them unchanged on a full kernel', () => {
    const { elf, btf } = object('globals_subprogs');
    const prepared = prepareObjectBtf(btf, elf);
    expect(btf.byName('.data', 'datasec')).toMatchObject({ size: 0 });
    expect(prepared.parse().byName('.data', 'datasec')).toMatchObject({ size: elf.sectionByName('.data')?.size });
    expect(prepared.parse().typeCount).toBe(btf.typeCount);
    expect(prepared.rewritten).toBe(0);
    expect(prepared.sent).toBe(prepared.bytes);
    expect(prepared.parse()).toBe(prepared.parse());
  });

  it('places .kconfig variables where the kconfig map holds them', () => {
    const { elf, btf } = object('kconfig');
    const datasec = btf.byName('.kconfig', 'datasec');
    if (datasec?.kind !== 'datasec') throw new Error('kconfig fixture has no .kconfig');
    const names = datasec.vars.map((v) => btf.type(v.type).name);
    // Reverse order, 8 bytes apart: nothing the compiler wrote.
    const placements = names.map((name, i) => ({ name, offset: (names.length - 1 - i) * 8, size: 8 }));
    const facts: ObjectBtfFacts = { kconfig: { placements, size: names.length * 8 } };
    const placed = prepareObjectBtf(btf, elf, facts).parse().byName('.kconfig', 'datasec');
    if (placed?.kind !== 'datasec') throw new Error('no .kconfig after preparation');
    expect(placed.size).toBe(names.length * 8);
    expect(placed.vars.map((v) => [v.offset, v.size])).toEqual(
      placements.map((p) => [p.offset, p.size]).sort((a, b) => (a[0] as number) - (b[0] as number)),
    );
  });

  it('makes .ksyms a DATASEC of 4-byte variables', () => {
    const { elf, btf } = object('ksyms');
    const ksyms = prepareObjectBtf(btf, elf).parse().byName('.ksyms', 'datasec');
    if (ksyms?.kind !== 'datasec') throw new Error('no .ksyms');
    expect(ksyms.vars.length).toBeGreaterThan(0);
    expect(ksyms.vars.map((v) => v.offset)).toEqual(ksyms.vars.map((_, i) => i * 4));
  });

  it('sends a kernel without DATASEC support BTF with none, keeping every id', () => {
    const { elf, btf } = object('globals_subprogs');
    const prepared = prepareObjectBtf(btf, elf, { features: { ...allBtfFeatures, datasec: false } });
    expect(prepared.rewritten).toBeGreaterThan(0);
    expect(prepared.sent).not.toBe(prepared.bytes);
    expect(prepared.parse().byName('.data', 'datasec')).toBeDefined();
  });
});

describe("prepareObjectBtf with the open's fix-up", () => {
  it.each(['globals_subprogs', 'hidden_globals', 'kconfig', 'ksyms', 'skeleton'])(
    'gives %s the bytes it gives when it makes the fix-up itself',
    (name) => {
      const { elf, btf } = object(name);
      const given = prepareObjectBtf(btf, elf, { datasecFixup: datasecFixup(btf, elf) });
      expect(given.bytes).toEqual(prepareObjectBtf(btf, elf).bytes);
    },
  );
});

describe('fixupDatasecs', () => {
  it('gives each call its own list: editing one leaves the next call as it was', () => {
    const { elf, btf } = object('globals_subprogs');
    const first = fixupDatasecs(btf, elf);
    const second = fixupDatasecs(btf, elf);
    expect(second).not.toBe(first);
    expect(second).toEqual(first);
    first[0] = { ...first[0], name: 'edited' } as (typeof first)[0];
    expect(fixupDatasecs(btf, elf)[0]?.name).not.toBe('edited');
  });
});
