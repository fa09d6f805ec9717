import { type ElfFile, type ElfSymbol, readSdtNotes, type SdtNote } from '@bpfkit/elf';
import { openElfFileSync } from '@bpfkit/elf/node';
import type { FileStat } from '@bpfkit/syscall';
import { readElfRegions } from './elf-regions.js';
import type { LinkErrorContext } from './errors.js';
import { ByteGlob } from './glob.js';

const STT_FUNC = 2;
const STT_GNU_IFUNC = 10;
const SHT_NOBITS = 8;
const SHF_ALLOC = 2;

/** A function symbol with what probing it needs, computed once. */
export interface ProbedFunction {
  /** The name without its version (`malloc` for `malloc@@GLIBC_2.2.5`). */
  readonly bareName: string;
  /** The symbol, from `.symtab` or `.dynsym`. */
  readonly symbol: ElfSymbol;
  /** Where its first instruction is in the file, what uprobes take. */
  readonly offset: number;
}

/** A loaded range of the file: addresses `[start, end)` sit at file offset `offset + (address − start)`. */
interface LoadedRange {
  readonly start: bigint;
  readonly end: bigint;
  readonly offset: number;
}

/**
 * A binary opened for probing, with the lookups uprobes and USDT need built once on first
 * use and kept while the file stays unchanged: its function symbols by bare name (one map,
 * not a scan per name), the offsets a glob matches (each pattern compiled and matched
 * once), its USDT notes by provider and name, and its loaded address ranges. The file is read
 * whole only when a lookup needs more than the offsets of a glob, which read just the
 * symbol tables ({@link offsetsMatching}).
 */
export class ProbedBinary {
  private whole: ElfFile | undefined;
  private functions: readonly ProbedFunction[] | undefined;
  private functionsByName: Map<string, ProbedFunction[]> | undefined;
  private readonly matches = new Map<string, readonly ProbedFunction[]>();
  private readonly matchKeys = new Map<string, MatchKeys>();
  private notesByProbe: Map<string, Map<string, SdtNote[]>> | undefined;
  private ranges: readonly LoadedRange[] | undefined;

  /** The file's size in bytes, from the `stat` it was opened with. */
  private readonly size: number;
  /** Its modification time (ms) and inode from that `stat`: with the size, what identifies this version of the file. */
  private readonly modified: number;
  private readonly inode: number;

  /** @internal built by {@link probedBinary} */
  constructor(
    /** The file's path. */
    readonly path: string,
    version: FileStat,
  ) {
    this.size = version.size;
    this.modified = version.mtimeMs;
    this.inode = version.ino;
  }

  /** @internal True when `version` (a later `stat` of the path) is the version of the file this was opened on. */
  isVersion(version: FileStat): boolean {
    return version.size === this.size && version.mtimeMs === this.modified && version.ino === this.inode;
  }

  /** The parsed file, read whole on first use. */
  get elf(): ElfFile {
    this.whole ??= openElfFileSync(this.path);
    return this.whole;
  }

  /** Every function symbol of `.symtab` then `.dynsym` defined in a section, in table order. */
  get allFunctions(): readonly ProbedFunction[] {
    if (this.functions === undefined) {
      const shift = fileShifts(this.elf);
      const found: ProbedFunction[] = [];
      for (const table of [this.elf.symbols, this.elf.dynamicSymbols]) {
        for (const symbol of table) {
          if (symbol.type !== STT_FUNC && symbol.type !== STT_GNU_IFUNC) continue;
          // Undefined (imported) and absolute symbols have no bytes in the file to probe.
          const delta = symbol.sectionIndex === 0 ? undefined : shift[symbol.sectionIndex];
          if (delta === undefined) continue;
          const at = symbol.name.indexOf('@');
          const bareName = at < 0 ? symbol.name : symbol.name.slice(0, at);
          found.push({ bareName, symbol, offset: symbol.value + delta });
        }
      }
      this.functions = found;
    }
    return this.functions;
  }

  /** The functions whose bare name is `bareName` (every version of it), from one map built on first use. */
  functionsNamed(bareName: string): readonly ProbedFunction[] {
    if (this.functionsByName === undefined) {
      this.functionsByName = new Map();
      for (const fn of this.allFunctions) {
        const list = this.functionsByName.get(fn.bareName);
        if (list === undefined) this.functionsByName.set(fn.bareName, [fn]);
        else list.push(fn);
      }
    }
    return this.functionsByName.get(bareName) ?? [];
  }

  /**
   * The functions whose bare name matches glob `pattern`, one per file offset (the first
   * symbol there), in offset order: from `.symtab`, or from `.dynsym` when `.symtab` has
   * none (libbpf's rule); matched once per pattern.
   */
  functionsMatching(pattern: string): readonly ProbedFunction[] {
    let found = this.matches.get(pattern);
    if (found === undefined) {
      const keys = this.matchesOf(pattern, this.elf);
      const tables = [this.elf.symbols, this.elf.dynamicSymbols] as const;
      found = Array.from(keys.offsets, (offset, i) => {
        const ordinal = keys.ordinals[i] as number;
        const inFirst = ordinal < tables[0].length;
        const symbol = (inFirst ? tables[0][ordinal] : tables[1][ordinal - tables[0].length]) as ElfSymbol;
        const at = symbol.name.indexOf('@');
        return { bareName: at < 0 ? symbol.name : symbol.name.slice(0, at), symbol, offset };
      });
      this.matches.set(pattern, found);
    }
    return found;
  }

  /**
   * The file offsets of the functions {@link functionsMatching} finds, without an object per
   * symbol: what a uprobe.multi link over a glob needs. Unless the file was read whole for
   * another lookup, this reads only its header, section headers and symbol tables.
   * @throws {@link LinkError} `not-found` when the file cannot be read; ElfError when it is
   * not a well-formed ELF file.
   */
  offsetsMatching(pattern: string): readonly number[] {
    const cached = this.matchKeys.get(pattern);
    if (cached !== undefined) return cached.offsets;
    const whole = this.whole;
    if (whole !== undefined) return this.matchesOf(pattern, whole).offsets;
    return readElfRegions(this.path, this.size, { path: this.path }, (elf) => this.matchesOf(pattern, elf)).offsets;
  }

  /**
   * One scan of `elf`'s `.symtab`, then of `.dynsym` only when `.symtab` has no match (as
   * libbpf stops at the first table with matches), once per pattern: each function symbol
   * defined in a section whose bare name matches `pattern`, compared as bytes in the string
   * table (nothing decoded), then one per file offset, the first in table order.
   */
  private matchesOf(pattern: string, elf: ElfFile): MatchKeys {
    let keys = this.matchKeys.get(pattern);
    if (keys !== undefined) return keys;
    const glob = new ByteGlob(pattern);
    const shift = fileShifts(elf);
    const tables = [elf.symbolTableView(false), elf.symbolTableView(true)];
    const scan = scanBuffers((tables[0]?.count ?? 0) + (tables[1]?.count ?? 0));
    let found = 0;
    let first = 0; // ordinal of the table's symbol 0
    for (const table of tables) {
      if (table === undefined) continue;
      const names = table.names.section.data;
      // Names from here on run past the table without a NUL (none when its last byte is one).
      const unterminated =
        names.length === 0 || names[names.length - 1] === 0 ? names.length : names.lastIndexOf(0) + 1;
      for (let i = 0; i < table.count; i++) {
        const type = table.info(i) & 0xf;
        if (type !== STT_FUNC && type !== STT_GNU_IFUNC) continue;
        // Undefined (imported) and absolute symbols have no bytes in the file to probe.
        const section = table.sectionIndex(i);
        const delta = section === 0 ? undefined : shift[section];
        if (delta === undefined) continue;
        const nameOffset = table.nameOffset(i);
        // Past the table or unterminated: decoding throws what the object reader throws.
        if (nameOffset >= unterminated) table.names.at(nameOffset, 'st_name of symbol', i);
        // `st_name` 0 is the empty name, whatever byte 0 of the table holds.
        if (!glob.matchesBareName(names, nameOffset === 0 ? names.length : nameOffset)) continue;
        scan.offsets[found] = table.value(i) + delta;
        scan.ordinals[found] = first + i;
        found++;
      }
      if (found > 0) break;
      first += table.count;
    }
    keys = firstPerOffset(scan.offsets, scan.ordinals, found);
    this.matchKeys.set(pattern, keys);
    return keys;
  }

  /**
   * The sites of USDT probe `provider:name`, from the notes parsed once. Unless the file was
   * read whole for another lookup, this reads only its header, section headers, section
   * names and `.note.stapsdt` (taking the loaded address ranges from the same read).
   * @throws {@link LinkError} `not-found` (with `context`) when the file cannot be read;
   * ElfError when it is not a well-formed ELF file or its notes are malformed.
   */
  sdtProbes(provider: string, name: string, context: LinkErrorContext = {}): readonly SdtNote[] {
    if (this.notesByProbe === undefined) {
      const whole = this.whole;
      this.notesByProbe =
        whole !== undefined
          ? notesByProbe(whole)
          : readElfRegions(this.path, this.size, { ...context, path: this.path }, (elf) => {
              this.ranges ??= loadedRanges(elf);
              return notesByProbe(elf);
            });
    }
    return this.notesByProbe.get(provider)?.get(name) ?? [];
  }

  /** The file offset of virtual address `address`, through the loaded sections sorted once (binary search). */
  fileOffsetOfAddress(address: bigint): number | undefined {
    this.ranges ??= loadedRanges(this.elf);
    const ranges = this.ranges;
    let low = 0;
    let high = ranges.length - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const range = ranges[middle] as LoadedRange;
      if (address < range.start) high = middle - 1;
      else if (address >= range.end) low = middle + 1;
      else return Number(address - range.start) + range.offset;
    }
    return undefined;
  }
}

/**
 * The USDT notes of `elf` by provider, then by name, in note order: looked up with the two
 * strings as they are, no `provider:name` key built per note and per lookup.
 */
function notesByProbe(elf: ElfFile): Map<string, Map<string, SdtNote[]>> {
  const grouped = new Map<string, Map<string, SdtNote[]>>();
  for (const note of readSdtNotes(elf)) {
    let byName = grouped.get(note.provider);
    if (byName === undefined) {
      byName = new Map();
      grouped.set(note.provider, byName);
    }
    const list = byName.get(note.name);
    if (list === undefined) byName.set(note.name, [note]);
    else list.push(note);
  }
  return grouped;
}

/** Per section, what turns an address in it into a file offset (`sh_offset − sh_addr`). */
function fileShifts(elf: ElfFile): number[] {
  return elf.sections.map((s) => s.offset - Number(s.address));
}

/** Matches of a glob: file offsets in ascending order, each with the ordinal (position in `.symtab` then `.dynsym`) of the first symbol there. */
interface MatchKeys {
  readonly offsets: readonly number[];
  readonly ordinals: readonly number[];
}

/**
 * Where a scan writes its matches (file offsets, and ordinals below 2^32), and the sort keys
 * of {@link firstPerOffset}: kept from one call to the next, grown by doubling (fresh memory
 * per attach, or arrays grown match by match, cost more than the scan).
 */
let scanOffsets = new Float64Array(0);
let scanOrdinals = new Uint32Array(0);
let sortKeys = new Float64Array(0);
let narrowSortKeys = new Uint32Array(0);

/** The scan buffers, room for `count` matches at least. */
function scanBuffers(count: number): { offsets: Float64Array; ordinals: Uint32Array } {
  if (scanOffsets.length < count) {
    const size = Math.max(count, scanOffsets.length * 2);
    scanOffsets = new Float64Array(size);
    scanOrdinals = new Uint32Array(size);
    sortKeys = new Float64Array(size);
    narrowSortKeys = new Uint32Array(size);
  }
  return { offsets: scanOffsets, ordinals: scanOrdinals };
}

/**
 * The first `count` `offsets` sorted, one each (with the lowest ordinal there), from matches
 * in scan order (ordinals ascending). Offsets already ascending (a table sorted by address)
 * are taken as they are; else each match is packed in one sort key, its offset above the
 * lowest one in the high bits and its ordinal in as few low bits as the largest needs, which
 * a typed array sorts natively, far faster than pairs through a comparator: a Uint32Array
 * when the keys fit 32 bits (the functions of one executable: about three times faster to
 * sort than doubles), else a Float64Array below 2^53; keys are unpacked by a multiplication
 * and a floor (a `%` of doubles is a call into the C library per key). Keys past 2^53 take
 * the comparator. The results are arrays of their final length, filled in place.
 */
function firstPerOffset(offsets: Float64Array, ordinals: Uint32Array, count: number): MatchKeys {
  let ascending = true;
  let lowest = Number.POSITIVE_INFINITY;
  let highest = 0;
  for (let i = 0; i < count; i++) {
    const offset = offsets[i] as number;
    if (i > 0 && offset <= (offsets[i - 1] as number)) ascending = false;
    if (offset < lowest) lowest = offset;
    if (offset > highest) highest = offset;
  }
  // Ordinals ascend in scan order: the last is the largest.
  const ordinalBits = count === 0 ? 0 : 32 - Math.clz32(ordinals[count - 1] as number);
  const ordinalRoom = 2 ** ordinalBits;
  const largestKey = (highest - lowest) * ordinalRoom + ordinalRoom - 1;
  const sortedOffsets: number[] = new Array(count);
  const sortedOrdinals: number[] = new Array(count);
  let unique = 0;
  if (ascending) {
    for (let i = 0; i < count; i++) {
      sortedOffsets[i] = offsets[i] as number;
      sortedOrdinals[i] = ordinals[i] as number;
    }
    unique = count;
  } else if (largestKey < 2 ** 53) {
    const keys = largestKey < 2 ** 32 ? narrowSortKeys.subarray(0, count) : sortKeys.subarray(0, count);
    for (let i = 0; i < count; i++) keys[i] = ((offsets[i] as number) - lowest) * ordinalRoom + (ordinals[i] as number);
    keys.sort();
    const unpack = 1 / ordinalRoom;
    let last = -1;
    for (let i = 0; i < count; i++) {
      const key = keys[i] as number;
      const above = Math.floor(key * unpack);
      // Keys ascend, so the first key of an offset has its lowest ordinal.
      if (above === last) continue;
      last = above;
      sortedOffsets[unique] = lowest + above;
      sortedOrdinals[unique] = key - above * ordinalRoom;
      unique++;
    }
  } else {
    // Ordinals grow in scan order, so positions break ties as ordinals do.
    const order = Array.from({ length: count }, (_, i) => i).sort(
      (a, b) => (offsets[a] as number) - (offsets[b] as number) || a - b,
    );
    for (const i of order) {
      const offset = offsets[i] as number;
      if (unique > 0 && offset === sortedOffsets[unique - 1]) continue;
      sortedOffsets[unique] = offset;
      sortedOrdinals[unique] = ordinals[i] as number;
      unique++;
    }
  }
  sortedOffsets.length = unique;
  sortedOrdinals.length = unique;
  return { offsets: sortedOffsets, ordinals: sortedOrdinals };
}

/** The sections that are loaded and have file bytes, sorted by address. */
function loadedRanges(elf: ElfFile): LoadedRange[] {
  return elf.sections
    .filter((s) => (s.flags & SHF_ALLOC) !== 0 && s.type !== SHT_NOBITS && s.size > 0)
    .map((s) => ({ start: s.address, end: s.address + BigInt(s.size), offset: s.offset }))
    .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
}

/** Opened binaries by path. */
const cache = new Map<string, ProbedBinary>();

/**
 * The binary at `path` (whose `stat` the caller has), its lookups kept while it stays
 * unchanged (same size, modification time and inode, compared as numbers); a changed file
 * is read again. Nothing
 * is read here: each lookup reads what it needs on first use.
 */
export function probedBinary(path: string, stat: FileStat): ProbedBinary {
  const hit = cache.get(path);
  if (hit?.isVersion(stat)) return hit;
  const binary = new ProbedBinary(path, stat);
  cache.set(path, binary);
  return binary;
}

/** Forgets every binary parsed for probing (memory back for long-running tools; benchmarks measure cold attaches). */
export function clearBinaryCache(): void {
  cache.clear();
}
