import { type ElfFile, SymbolType } from '@bpfkit/elf';
import { MapError } from './errors.js';
import { kernelMapName } from './names.js';
import { type MapSpec, makeMapSpec } from './spec.js';

/** Size of `struct bpf_map_def { type, key_size, value_size, max_entries, map_flags }`. */
const LEGACY_DEF_SIZE = 20;

/**
 * Reads the legacy `maps` section: one `struct bpf_map_def` per symbol, each definition
 * `section size / symbol count` bytes, in the file's byte order. libbpf 1.x refuses these;
 * cilium/ebpf still reads them, and so does this. Bytes past the five known fields must be 0.
 * @throws {@link MapError} `bad-legacy-map` naming the map and the offending bytes.
 */
export function readLegacyMaps(elf: ElfFile): MapSpec[] {
  const section = elf.sectionByName('maps');
  if (section === undefined || section.size === 0) return [];
  const object = elf.name;
  const symbols = elf.symbols.filter(
    (s) => s.sectionIndex === section.index && s.name !== '' && s.type !== SymbolType.SECTION,
  );
  const fail: (problem: string, extra?: Partial<MapError['context']>) => never = (problem, extra = {}) => {
    throw new MapError('bad-legacy-map', problem, {
      ...(object === undefined ? {} : { object }),
      section: 'maps',
      ...extra,
    });
  };
  if (symbols.length === 0) fail('the maps section has no symbols naming its definitions');
  if (section.size % symbols.length !== 0) {
    fail('section size is not a whole number of definitions', {
      expected: `a multiple of ${symbols.length}`,
      actual: section.size,
    });
  }
  const defSize = section.size / symbols.length;
  if (defSize < LEGACY_DEF_SIZE) {
    fail('definitions are smaller than struct bpf_map_def', { expected: `≥ ${LEGACY_DEF_SIZE}`, actual: defSize });
  }
  const data = section.data;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const le = elf.littleEndian;
  return symbols
    .sort((a, b) => a.value - b.value)
    .map((symbol) => {
      const at = symbol.value;
      if (at % defSize !== 0 || at + defSize > section.size) {
        fail('symbol does not point at a definition', { map: symbol.name, offset: at });
      }
      for (let extra = at + LEGACY_DEF_SIZE; extra < at + defSize; extra++) {
        if (data[extra] !== 0) {
          fail('definition has non-zero bytes past struct bpf_map_def', { map: symbol.name, offset: extra });
        }
      }
      return makeMapSpec({
        name: symbol.name,
        kernelName: kernelMapName(symbol.name),
        source: 'legacy',
        section: 'maps',
        sectionOffset: at,
        type: view.getUint32(at, le),
        keySize: view.getUint32(at + 4, le),
        valueSize: view.getUint32(at + 8, le),
        maxEntries: view.getUint32(at + 12, le),
        flags: view.getUint32(at + 16, le),
      });
    });
}
