import { type Btf, readObjectBtf } from '@bpfkit/btf';
import { parseElf } from '@bpfkit/elf';
import { allFixtures, type Fixture, readFixture } from '@bpfkit/fixtures';
import { resolveMaps } from '@bpfkit/maps';
import { externDeclarationProblems } from '@bpfkit/reloc';

/** A fixture's BTF and the type ids its maps, variables and named structs and unions reach, for generating types from it. */
export interface FixtureTypes {
  readonly fixture: Fixture;
  readonly label: string;
  readonly btf: Btf;
  readonly roots: number[];
}

/** Every fixture (both byte orders) that has BTF, whose maps resolve and that a loader opens (no extern nothing supplies). */
export function fixtureTypes(): FixtureTypes[] {
  return allFixtures().flatMap((fixture) => {
    const elf = parseElf(readFixture(fixture.name, fixture.order), { name: fixture.name });
    const btf = readObjectBtf(elf)?.btf;
    if (btf === undefined || externDeclarationProblems(elf, btf).length > 0) return [];
    let maps: ReturnType<typeof resolveMaps>;
    try {
      maps = resolveMaps(elf, btf, { objectName: fixture.name });
    } catch {
      return []; // fixtures whose maps are wrong on purpose
    }
    // Map keys and values, variables, and every named struct and union (pointers are not followed).
    const others = btf
      .decodeAll()
      .filter((t) => t.kind === 'var' || ((t.kind === 'struct' || t.kind === 'union') && t.name !== ''))
      .map((t) => t.id);
    const roots = [...maps.flatMap((m) => [m.btfKeyTypeId, m.btfValueTypeId]), ...others].filter((id) => id !== 0);
    return [{ fixture, label: `${fixture.name}.${fixture.order}`, btf, roots }];
  });
}
