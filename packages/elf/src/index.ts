/**
 * A dependency-free ELF64 reader for BPF objects, both byte orders, usable in browsers:
 * header, sections (with extended numbering), symbols, and REL/RELA relocations, decoded
 * lazily over the caller's bytes without copies. Reading from disk lives in `@bpfkit/elf/node`.
 *
 * {@include ../README.md}
 *
 * @packageDocumentation
 * @module @bpfkit/elf
 */

export { describeElf, requireBpfObject } from './bpf-object.js';
export {
  BpfRelocationType,
  ElfType,
  Machine,
  RecordSize,
  SectionFlag,
  SectionIndex,
  SectionType,
  SymbolBinding,
  SymbolType,
  SymbolVisibility,
} from './constants.js';
export type { ElfErrorCode, ElfErrorContext } from './errors.js';
// Errors
export { ElfError } from './errors.js';
export type { ParseElfOptions } from './file.js';
// Open
export { ElfFile, parseElf, parseElfFrom } from './file.js';
// Query
export type { ByteOrder, ElfHeader } from './header.js';
export type { Relocation } from './relocations.js';
export { RelocationSection } from './relocations.js';
export type { SdtNote } from './sdt-notes.js';
export { readSdtNotes } from './sdt-notes.js';
export { Section } from './sections.js';
export type { ElfSource } from './source.js';
export { StringSection } from './string-section.js';
export { StringTable } from './strings.js';
export { SymbolTableView } from './symbol-table-view.js';
export type { ElfSymbol } from './symbols.js';
export { isReservedSectionIndex } from './symbols.js';
export { decodeUtf8 } from './text.js';
export type { OutOfBounds } from './view.js';
// Binary views, shared with the other bpfkit parsers
export { ByteView } from './view.js';
