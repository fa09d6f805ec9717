import type { ElfFile } from '@bpfkit/elf';
import { findBinary } from './binary-path.js';
import { LinkError, type LinkErrorContext } from './errors.js';
import { type ProbedBinary, probedBinary } from './probed-binary.js';

const STB_WEAK = 2;

/**
 * The binary a uprobe or USDT probe names (a path, or a name found as {@link resolveBinaryPath}
 * does), parsed once while the file stays unchanged: one `stat` per call.
 * @throws {@link LinkError} `not-found` when there is no such file.
 */
export function openProbedBinary(binary: string, context: LinkErrorContext): ProbedBinary {
  const { path, stat } = findBinary(binary, context);
  return probedBinary(path, stat);
}

/** The ELF file at `path`, parsed once while it stays unchanged. */
export function binaryElf(path: string): ElfFile {
  return openProbedBinary(path, { path }).elf;
}

/**
 * The functions of the ELF file at `path` whose names match glob `pattern` (versions
 * ignored: `malloc@@GLIBC_2.2.5` is `malloc`), with their file offsets, one per offset,
 * in offset order: what a `uprobe.multi/<path>:<pattern>` section attaches to.
 */
export function matchingFunctions(
  path: string,
  pattern: string,
): {
  /** The function symbol's name. */
  name: string;
  /** Its file offset, where a uprobe goes. */
  offset: number;
}[] {
  return functionsAt(openProbedBinary(path, { path }), pattern);
}

/** {@link matchingFunctions} on a binary already open. */
export function functionsAt(binary: ProbedBinary, pattern: string): { name: string; offset: number }[] {
  return binary.functionsMatching(pattern).map((fn) => ({ name: fn.bareName, offset: fn.offset }));
}

/**
 * The file offset of function `name` in the ELF file at `path`, what a uprobe needs: the
 * symbol's address (searched in `.symtab` then `.dynsym`; `name@VERSION` or a bare name)
 * translated through the section holding it, which covers executables, PIE executables
 * and shared libraries alike. A strong definition wins over weak ones.
 * @throws {@link LinkError} `not-found` when no function has the name, `bad-target` when
 * several at different addresses do.
 */
export function functionFileOffset(path: string, name: string, context: LinkErrorContext): number {
  return functionOffsetIn(openProbedBinary(path, context), name, context);
}

/** {@link functionFileOffset} on a binary already open. */
export function functionOffsetIn(binary: ProbedBinary, name: string, context: LinkErrorContext): number {
  const at = name.indexOf('@');
  const candidates = binary.functionsNamed(at < 0 ? name : name.slice(0, at));
  // A versioned name asks for that version only; a bare one takes any version.
  const found = at < 0 ? candidates : candidates.filter((fn) => fn.symbol.name === name);
  const strong = found.filter((fn) => fn.symbol.bind !== STB_WEAK);
  const chosen = strong.length > 0 ? strong : found;
  const offsets = [...new Set(chosen.map((fn) => fn.offset))];
  const where = { ...context, path: binary.path };
  if (offsets.length === 0) throw new LinkError('not-found', `no function '${name}' in '${binary.path}'`, where);
  if (offsets.length > 1) {
    const names = [...new Set(chosen.map((fn) => fn.symbol.name))].join(', ');
    throw new LinkError(
      'bad-target',
      `'${name}' matches functions at ${offsets.length} offsets in '${binary.path}' (${names})`,
      where,
      'name the version (name@@VERSION) or give an offset',
    );
  }
  return offsets[0] as number;
}

/**
 * The file offset of virtual address `address` in a linked ELF file: through the loaded
 * section that holds it (`address − sh_addr + sh_offset`), for executables, PIE and
 * shared libraries alike. For USDT probe locations and semaphores.
 * @throws {@link LinkError} `not-found` when no loaded section with file bytes holds it.
 */
export function addressFileOffset(binary: ProbedBinary, address: bigint, context: LinkErrorContext): number {
  const offset = binary.fileOffsetOfAddress(address);
  if (offset !== undefined) return offset;
  throw new LinkError('not-found', `no section of the file holds address 0x${address.toString(16)}`, context);
}
