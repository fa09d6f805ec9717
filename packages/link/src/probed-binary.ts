import type { Stats } from 'node:fs';
import { type ElfFile, type ElfSymbol, readSdtNotes, type SdtNote } from '@bpfkit/elf';
import { openElfFileSync } from '@bpfkit/elf/node';
import { globMatcher } from './glob.js';

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
 * once), its USDT notes by `provider:name`, and its loaded address ranges.
 */
export class ProbedBinary {
  private functions: readonly ProbedFunction[] | undefined;
  private functionsByName: Map<string, ProbedFunction[]> | undefined;
  private readonly matches = new Map<string, readonly ProbedFunction[]>();
  private notesByProbe: Map<string, SdtNote[]> | undefined;
  private ranges: readonly LoadedRange[] | undefined;

  /** @internal built by {@link probedBinary} */
  constructor(
    /** The file's path. */
    readonly path: string,
    /** The parsed file. */
    readonly elf: ElfFile,
    /** What identifies this version of the file: size, modification time and inode. */
    readonly stamp: string,
  ) {}

  /** Every function symbol of `.symtab` then `.dynsym` defined in a section, in table order. */
  get allFunctions(): readonly ProbedFunction[] {
    if (this.functions === undefined) {
      const sections = this.elf.sections;
      // Per section, what turns an address in it into a file offset (`sh_offset − sh_addr`).
      const shift = sections.map((s) => s.offset - Number(s.address));
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
   * symbol there), in offset order; matched once per pattern.
   */
  functionsMatching(pattern: string): readonly ProbedFunction[] {
    let found = this.matches.get(pattern);
    if (found === undefined) {
      const test = globMatcher(pattern);
      found = byOffset(this.allFunctions.filter((fn) => test(fn.bareName)));
      this.matches.set(pattern, found);
    }
    return found;
  }

  /** The sites of USDT probe `provider:name`, from the notes parsed once. */
  sdtProbes(provider: string, name: string): readonly SdtNote[] {
    if (this.notesByProbe === undefined) {
      this.notesByProbe = new Map();
      for (const note of readSdtNotes(this.elf)) {
        const key = `${note.provider}:${note.name}`;
        const list = this.notesByProbe.get(key);
        if (list === undefined) this.notesByProbe.set(key, [note]);
        else list.push(note);
      }
    }
    return this.notesByProbe.get(`${provider}:${name}`) ?? [];
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

/** Room for a table index below a file offset in one sort key (offsets below 2^32 keep keys below 2^53). */
const INDEX_ROOM = 2 ** 21;

/**
 * `functions` one per file offset (the first in table order there), in offset order. Sorted
 * as numbers packing offset and table index, which a Float64Array sorts natively, far faster
 * than objects through a comparator; tables too large to pack take the comparator.
 */
function byOffset(functions: readonly ProbedFunction[]): ProbedFunction[] {
  let ordered: readonly ProbedFunction[];
  if (functions.length < INDEX_ROOM && functions.every((fn) => fn.offset < 2 ** 32)) {
    const keys = new Float64Array(functions.length);
    for (let i = 0; i < functions.length; i++) keys[i] = (functions[i] as ProbedFunction).offset * INDEX_ROOM + i;
    keys.sort();
    const packed: ProbedFunction[] = new Array(keys.length);
    for (let i = 0; i < keys.length; i++) packed[i] = functions[(keys[i] as number) % INDEX_ROOM] as ProbedFunction;
    ordered = packed;
  } else {
    ordered = [...functions].sort((a, b) => a.offset - b.offset); // stable: table order among aliases
  }
  const distinct: ProbedFunction[] = [];
  for (const fn of ordered) if (distinct.at(-1)?.offset !== fn.offset) distinct.push(fn);
  return distinct;
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
 * The binary at `path` (whose `stat` the caller has), parsed once while it stays unchanged
 * (same size, modification time and inode); a changed file is parsed again.
 */
export function probedBinary(path: string, stat: Stats): ProbedBinary {
  const stamp = `${stat.size}:${stat.mtimeMs}:${stat.ino}`;
  const hit = cache.get(path);
  if (hit?.stamp === stamp) return hit;
  const binary = new ProbedBinary(path, openElfFileSync(path), stamp);
  cache.set(path, binary);
  return binary;
}

/** Forgets every binary parsed for probing (memory back for long-running tools; benchmarks measure cold attaches). */
export function clearBinaryCache(): void {
  cache.clear();
}
