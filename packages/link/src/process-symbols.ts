import type { SymbolAt } from './kernel-symbols.js';
import type { ProbedFunction } from './probed-binary.js';
import { type ExecutableMapping, executableMappings } from './process-mappings.js';
import { lastAtOrBefore } from './sorted-search.js';
import { openProbedBinary } from './user-symbols.js';

/**
 * User-space symbols of one process, for its stack addresses (`bpf_get_stack` with
 * `BPF_F_USER_STACK`): the address's mapping from `/proc/PID/maps` gives the file and the
 * file offset (`address − start + offset`), and the file's `.symtab`/`.dynsym` functions,
 * by file offset, give the name. Working in file offsets makes one rule for PIE and non-PIE
 * executables and shared libraries, wherever they were mapped. Each file is parsed and its
 * functions sorted once while it stays unchanged (the cache uprobes use). The mappings are
 * read when the object is made: make a new one after the process loads a library.
 */
export class ProcessSymbols {
  private constructor(
    /** The process. */
    readonly pid: number,
    private readonly mappings: readonly ExecutableMapping[],
  ) {}

  /**
   * Reads the executable mappings of process `pid` (`/proc/PID/maps`).
   * @throws {@link LinkError} `not-found` when the process does not exist (or cannot be read).
   */
  static read(pid: number): ProcessSymbols {
    return new ProcessSymbols(pid, executableMappings(pid, { kind: 'symbols' }));
  }

  /**
   * The function `address` falls in (`module` is the file), or `undefined` when no
   * executable file mapping holds it, or the file has no function symbol at or before it.
   */
  lookup(address: bigint): SymbolAt | undefined {
    const mapping = this.mappings.find((m) => address >= m.start && address < m.end);
    if (mapping === undefined) return undefined;
    const path = `/proc/${this.pid}/root${mapping.path}`;
    let functions: readonly ProbedFunction[];
    try {
      functions = openProbedBinary(path, { kind: 'symbols', path }).functionsMatching('*');
    } catch {
      return undefined; // gone, or not an ELF file: no name to give
    }
    // File offsets, not addresses, are what the mapping and the symbols share.
    const fileOffset = Number(address - mapping.start + mapping.offset);
    const index = lastAtOrBefore(functions.length, (i) => (functions[i]?.offset as number) <= fileOffset);
    const found = functions[index];
    if (found === undefined) return undefined;
    const offset = fileOffset - found.offset;
    if (found.symbol.size > 0 && offset >= found.symbol.size) return undefined;
    return { name: found.bareName, offset, module: mapping.path };
  }
}
