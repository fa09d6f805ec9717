// The main job until the bpfkit command exists: opens the bundled map-in-map example
// object and prints its sections, symbols and relocations.
import { fileURLToPath } from 'node:url';
import { isReservedSectionIndex, SectionFlag, SectionIndex, SectionType, SymbolBinding, SymbolType } from '@bpfkit/elf';
import { openElfFileSync } from '@bpfkit/elf/node';

const path = process.argv[2] ?? fileURLToPath(new URL('../packages/fixtures/bpf/map_in_map.el.o', import.meta.url));
const elf = openElfFileSync(path);

const nameOf = (table: Record<string, number>, value: number) =>
  Object.entries(table).find(([, v]) => v === value)?.[0] ?? String(value);
/** readelf's one-letter section flags. */
const flagLetters: [number, string][] = [
  [SectionFlag.WRITE, 'W'],
  [SectionFlag.ALLOC, 'A'],
  [SectionFlag.EXECINSTR, 'X'],
  [SectionFlag.MERGE, 'M'],
  [SectionFlag.STRINGS, 'S'],
  [SectionFlag.INFO_LINK, 'I'],
  [SectionFlag.EXCLUDE, 'E'],
];
const flagsOf = (flags: number) =>
  flagLetters
    .filter(([bit]) => (flags & bit) !== 0)
    .map(([, letter]) => letter)
    .join('');
const sectionOf = (index: number) =>
  isReservedSectionIndex(index) ? nameOf(SectionIndex, index) : elf.section(index).name;

console.log(`${elf.name}: ELF64 ${elf.header.byteOrder}-endian, machine ${elf.header.machine}`);
console.log(`\nSections (${elf.sections.length}):`);
for (const s of elf.sections) {
  console.log(
    `  [${String(s.index).padStart(2)}] ${s.name.padEnd(24)} ${nameOf(SectionType, s.type).padEnd(12)} size ${String(s.size).padStart(5)}  ${flagsOf(s.flags)}`,
  );
}
console.log(`\nSymbols (${elf.symbols.length}):`);
for (const s of elf.symbols) {
  if (s.name === '') continue;
  const section = sectionOf(s.sectionIndex);
  console.log(
    `  ${s.name.padEnd(24)} ${nameOf(SymbolType, s.type).padEnd(7)} ${nameOf(SymbolBinding, s.bind).padEnd(6)} ${section.padEnd(10)} value ${s.value} size ${s.size}`,
  );
}
for (const relocations of elf.relocationSections) {
  const target = elf.section(relocations.targetIndex).name;
  if (target.startsWith('.debug') || target.startsWith('.BTF')) continue;
  console.log(`\nRelocations in ${relocations.section.name} (against ${target}):`);
  for (const r of relocations.entries) {
    console.log(
      `  offset 0x${r.offset.toString(16).padStart(4, '0')}  type ${r.type}  -> ${elf.symbol(r.symbol).name}`,
    );
  }
}
