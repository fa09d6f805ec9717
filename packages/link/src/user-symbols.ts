import { statSync } from 'node:fs';
import type { ElfFile, ElfSymbol } from '@bpfkit/elf';
import { openElfFileSync } from '@bpfkit/elf/node';
import { LinkError, type LinkErrorContext } from './errors.js';
import { globMatcher } from './glob.js';

const STT_FUNC = 2;
const STT_GNU_IFUNC = 10;
const STB_WEAK = 2;

/** Opened binaries by path, reopened when the file changes (size or mtime). */
const cache = new Map<string, { stamp: string; elf: ElfFile }>();

/** The ELF file at `path`, parsed once while it stays unchanged. */
export function binaryElf(path: string): ElfFile {
  const stat = statSync(path);
  const stamp = `${stat.size}:${stat.mtimeMs}:${stat.ino}`;
  const hit = cache.get(path);
  if (hit?.stamp === stamp) return hit.elf;
  const elf = openElfFileSync(path);
  cache.set(path, { stamp, elf });
  return elf;
}

/**
 * Whether symbol `candidate` is the function `name` asks for: equal names, or, for a name
 * without a version (`malloc`), a versioned one (`malloc@@GLIBC_2.2.5`, `malloc@GLIBC_2.2.5`).
 */
function nameMatches(candidate: string, name: string): boolean {
  if (candidate === name) return true;
  if (name.includes('@') || !candidate.startsWith(name)) return false;
  return candidate.charCodeAt(name.length) === 0x40 /* @ */;
}

/** Function symbols of `elf` (`.symtab`, then `.dynsym`) whose name passes `test`, defined in a section. */
function functionSymbols(elf: ElfFile, test: (name: string) => boolean): ElfSymbol[] {
  return [...elf.symbols, ...elf.dynamicSymbols].filter(
    (s) => (s.type === STT_FUNC || s.type === STT_GNU_IFUNC) && s.sectionIndex !== 0 && test(s.name),
  );
}

/**
 * The functions of the ELF file at `path` whose names match glob `pattern` (versions
 * ignored: `malloc@@GLIBC_2.2.5` is `malloc`), with their file offsets, one per offset,
 * in offset order: what a `uprobe.multi/<path>:<pattern>` section attaches to.
 */
export function matchingFunctions(path: string, pattern: string): { name: string; offset: number }[] {
  const elf = binaryElf(path);
  const test = globMatcher(pattern);
  const byOffset = new Map<number, string>();
  for (const symbol of functionSymbols(elf, (name) => test(name.split('@')[0] as string))) {
    const offset = elf.fileOffsetOf(symbol);
    if (!byOffset.has(offset)) byOffset.set(offset, symbol.name.split('@')[0] as string);
  }
  return [...byOffset].sort((a, b) => a[0] - b[0]).map(([offset, name]) => ({ name, offset }));
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
  const elf = binaryElf(path);
  const found = functionSymbols(elf, (candidate) => nameMatches(candidate, name));
  const strong = found.filter((s) => s.bind !== STB_WEAK);
  const chosen = strong.length > 0 ? strong : found;
  const offsets = [...new Set(chosen.map((s) => elf.fileOffsetOf(s)))];
  if (offsets.length === 0) {
    throw new LinkError('not-found', `no function '${name}' in '${path}'`, { ...context, path });
  }
  if (offsets.length > 1) {
    const names = [...new Set(chosen.map((s) => s.name))].join(', ');
    throw new LinkError(
      'bad-target',
      `'${name}' matches functions at ${offsets.length} offsets in '${path}' (${names})`,
      { ...context, path },
      'name the version (name@@VERSION) or give an offset',
    );
  }
  return offsets[0] as number;
}

const SHT_NOBITS = 8;
const SHF_ALLOC = 2;

/**
 * The file offset of virtual address `address` in a linked ELF file: through the loaded
 * section that holds it (`address − sh_addr + sh_offset`), for executables, PIE and
 * shared libraries alike. For USDT probe locations and semaphores.
 * @throws {@link LinkError} `not-found` when no loaded section with file bytes holds it.
 */
export function addressFileOffset(elf: ElfFile, address: bigint, context: LinkErrorContext): number {
  for (const section of elf.sections) {
    if ((section.flags & SHF_ALLOC) === 0 || section.type === SHT_NOBITS) continue;
    if (address >= section.address && address < section.address + BigInt(section.size)) {
      return Number(address - section.address) + section.offset;
    }
  }
  throw new LinkError('not-found', `no section of the file holds address 0x${address.toString(16)}`, context);
}

/** Forgets every ELF file parsed for probing (memory back for long-running tools; benchmarks measure cold attaches). */
export function clearBinaryCache(): void {
  cache.clear();
}
