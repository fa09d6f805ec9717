import { type ElfFile, type ElfSymbol, SectionFlag, SymbolType } from '@bpfkit/elf';
import { isMapInMapType, MapType } from '@bpfkit/uapi';
import type { BtfMapDefinition } from './btf-maps.js';
import { MapError, type MapErrorCode } from './errors.js';
import type { MapSlot } from './spec.js';

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
  const byOffset = [...definitions].sort((a, b) => a.offset - b.offset);
  // Per outer map, slot index → slot; a later initialiser of the same index replaces the earlier.
  const collected = new Map<BtfMapDefinition, Map<number, MapSlot>>();

  for (const relocation of relocations.entries) {
    const symbol = elf.symbol(relocation.symbol);
    const target = symbol.name;
    const at = relocation.offset;
    const fail: (code: MapErrorCode, problem: string, extra?: Partial<MapError['context']>) => never = (
      code,
      problem,
      extra = {},
    ) => slotError(object, relocation.index, at, target, code, problem, extra);
    const owner = containing(byOffset, at);
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

    if (isMapInMapType(outer.type)) {
      if (symbol.sectionIndex !== maps.index) {
        fail('slot-not-a-map', `'${target}' isn't a BTF-defined map`, { map: outer.name, slot: index });
      }
      if (outer.type === MapType.HASH_OF_MAPS && outer.keySize !== 4) {
        fail('slot-out-of-range', `hash-of-maps '${outer.name}' must have key size 4 to be initialised by index`, {
          map: outer.name,
          slot: index,
          field: 'key_size',
          expected: 4,
          actual: outer.keySize,
        });
      }
      if (!byName.has(target)) {
        fail('slot-not-a-map', `'${target}' isn't a valid map reference`, { map: outer.name, slot: index });
      }
      slotsOf(collected, owner).set(index, { index, target, targetKind: 'map' });
    } else if (outer.type === MapType.PROG_ARRAY) {
      if (!isEntryPoint(elf, symbol)) {
        fail('slot-not-a-program', `'${target}' isn't an entry-point program`, { map: outer.name, slot: index });
      }
      slotsOf(collected, owner).set(index, { index, target, targetKind: 'program' });
    } else {
      fail('bad-slot-relocation', 'only map-in-map and prog-array maps have slots', { map: outer.name, slot: index });
    }
  }
  // One sort per outer map, once every relocation is read: n log n in the number of slots.
  for (const [owner, slots] of collected) owner.spec.slots = [...slots.values()].sort((a, b) => a.index - b.index);
}

function slotError(
  object: string | undefined,
  entry: number,
  at: number,
  target: string,
  code: MapErrorCode,
  problem: string,
  extra: Partial<MapError['context']>,
): never {
  throw new MapError(code, `.rel.maps entry [${entry}] at offset ${at}: ${problem}`, {
    ...(object === undefined ? {} : { object }),
    section: '.rel.maps',
    offset: at,
    target,
    ...extra,
  });
}

function slotsOf(
  collected: Map<BtfMapDefinition, Map<number, MapSlot>>,
  owner: BtfMapDefinition,
): Map<number, MapSlot> {
  let slots = collected.get(owner);
  if (slots === undefined) {
    slots = new Map();
    collected.set(owner, slots);
  }
  return slots;
}

/** The definition whose bytes hold a whole slot at `at`, by binary search over definitions sorted by offset. */
function containing(byOffset: readonly BtfMapDefinition[], at: number): BtfMapDefinition | undefined {
  let low = 0;
  let high = byOffset.length - 1;
  let found: BtfMapDefinition | undefined;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const candidate = byOffset[middle] as BtfMapDefinition;
    if (candidate.offset <= at) {
      found = candidate;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return found !== undefined && at + SLOT_SIZE <= found.offset + found.size ? found : undefined;
}

/** A FUNC symbol at the start of its own program in an executable section other than `.text`. */
function isEntryPoint(elf: ElfFile, symbol: ElfSymbol): boolean {
  if (symbol.type !== SymbolType.FUNC) return false;
  const section = elf.sections[symbol.sectionIndex];
  return section !== undefined && section.name !== '.text' && (section.flags & SectionFlag.EXECINSTR) !== 0;
}
