import { RecordSize } from './constants.js';
import type { ElfReader } from './reader.js';
import type { Section } from './sections.js';
import type { StringTable } from './strings.js';
import { openSymbolTable } from './symbols.js';

/**
 * A symbol table decoded into columns, one typed array per field and no object per
 * symbol, for scans over thousands of symbols (glob matching in a shared library):
 * entry `i` of each column is symbol `i`. Names stay undecoded: `nameOffsets[i]` points into
 * `names`, which decodes one on demand.
 */
export interface SymbolColumns {
  /** How many symbols the table holds (index 0 is the null symbol). */
  readonly count: number;
  /** `st_name`: where each name starts in `names`. */
  readonly nameOffsets: Uint32Array;
  /** `st_info`: binding in the high nibble, type in the low one. */
  readonly info: Uint8Array;
  /** The section each symbol is defined in, `SHN_XINDEX` resolved (reserved indexes kept). */
  readonly sectionIndexes: Uint32Array;
  /** `st_value`. */
  readonly values: Float64Array;
  /** The linked string table. */
  readonly names: StringTable;
}

/**
 * Decodes `table` into {@link SymbolColumns}, with the checks and errors of the object
 * reader (entry size, linked string table, extended section indexes, values past 2^53).
 */
export function readSymbolColumns(reader: ElfReader, table: Section, sections: readonly Section[]): SymbolColumns {
  const { records, strings, count, sectionOf } = openSymbolTable(reader, table, sections);
  const view = records.view;
  const nameOffsets = new Uint32Array(count);
  const info = new Uint8Array(count);
  const sectionIndexes = new Uint32Array(count);
  const values = new Float64Array(count);
  for (let index = 0; index < count; index++) {
    const at = index * RecordSize.SYMBOL;
    nameOffsets[index] = view.u32(at);
    info[index] = view.u8(at + 4);
    sectionIndexes[index] = sectionOf(index);
    values[index] =
      view.u64Number(at + 8) ??
      records.u64(at + 8, 'st_value', { section: table.index, sectionName: table.name, entry: index });
  }
  return { count, nameOffsets, info, sectionIndexes, values, names: strings };
}
