import { type ElfFile, type ElfSymbol, SectionFlag, SymbolType } from '@bpfkit/elf';
import type { BtfMapDefinition } from './btf-maps.js';
import { isMapInMap, MapType } from './constants.js';
import { MapError, type MapErrorCode } from './errors.js';

/** Size of one `values` entry: a BPF pointer. */
const SLOT_SIZE = 8;

/**
 * Reads `.values = { [i] = &target }` initialisers from `.rel.maps` into each outer map's
 * `slots`: the owner is the definition containing the relocation offset, the slot index is
 * (offset − variable offset − `values` offset) / 8, and the target is the map (or, for a
 * prog array, the entry-point program) that the relocation's symbol names. A repeated slot
 * keeps the last initialiser, as in libbpf.
 * @throws {@link MapError} naming the relocation, the outer map, the slot and the target.
 */
export function readSlots(elf: ElfFile, definitions: readonly BtfMapDefinition[]): void {
  const maps = elf.sectionByName('.maps');
  if (maps === undefined) return;
  const relocations = elf.relocationsFor(maps.index);
  if (relocations === undefined) return;
  const object = elf.name;
  const byName = new Map(definitions.map((d) => [d.spec.name, d]));

  for (const relocation of relocations.entries) {
    const symbol = elf.symbol(relocation.symbol);
    const target = symbol.name;
    const at = relocation.offset;
    const fail: (code: MapErrorCode, problem: string, extra?: Partial<MapError['context']>) => never = (
      code,
      problem,
      extra = {},
    ) => {
      throw new MapError(code, `.rel.maps entry [${relocation.index}] at offset ${at}: ${problem}`, {
        ...(object === undefined ? {} : { object }),
        section: '.rel.maps',
        offset: at,
        target,
        ...extra,
      });
    };
    const owner = definitions.find((d) => d.offset <= at && at + SLOT_SIZE <= d.offset + d.size);
    if (owner === undefined) fail('bad-slot-relocation', `no map definition contains this offset (for '${target}')`);
    const outer = owner.spec;
    if (owner.valuesOffset === undefined) {
      fail('bad-slot-relocation', `points to '${target}' outside any 'values' array`, { map: outer.name });
    }
    const relative = at - owner.offset - owner.valuesOffset;
    if (relative < 0 || relative % SLOT_SIZE !== 0) {
      fail('bad-slot-relocation', `offset is not a slot of the 'values' array`, {
        map: outer.name,
        expected: `values at +${owner.valuesOffset}, 8-byte slots`,
        actual: `+${at - owner.offset}`,
      });
    }
    const index = relative / SLOT_SIZE;
    const context = { map: outer.name, slot: index };

    if (isMapInMap(outer.type)) {
      if (symbol.sectionIndex !== maps.index) {
        fail('slot-not-a-map', `'${target}' isn't a BTF-defined map`, context);
      }
      if (outer.type === MapType.HASH_OF_MAPS && outer.keySize !== 4) {
        fail('slot-out-of-range', `hash-of-maps '${outer.name}' must have key size 4 to be initialised by index`, {
          ...context,
          field: 'key_size',
          expected: 4,
          actual: outer.keySize,
        });
      }
      if (!byName.has(target)) fail('slot-not-a-map', `'${target}' isn't a valid map reference`, context);
      setSlot(outer.slots, { index, target, targetKind: 'map' });
    } else if (outer.type === MapType.PROG_ARRAY) {
      if (!isEntryPoint(elf, symbol)) {
        fail('slot-not-a-program', `'${target}' isn't an entry-point program`, context);
      }
      setSlot(outer.slots, { index, target, targetKind: 'program' });
    } else {
      fail('bad-slot-relocation', 'only map-in-map and prog-array maps have slots', context);
    }
  }
}

function setSlot(
  slots: { index: number }[],
  slot: { index: number; target: string; targetKind: 'map' | 'program' },
): void {
  const existing = slots.findIndex((s) => s.index === slot.index);
  if (existing >= 0) slots.splice(existing, 1);
  slots.push(slot);
  slots.sort((a, b) => a.index - b.index);
}

/** A FUNC symbol at the start of its own program in an executable section other than `.text`. */
function isEntryPoint(elf: ElfFile, symbol: ElfSymbol): boolean {
  if (symbol.type !== SymbolType.FUNC) return false;
  const section = elf.sections[symbol.sectionIndex];
  return section !== undefined && section.name !== '.text' && (section.flags & SectionFlag.EXECINSTR) !== 0;
}
