import { type ElfFile, type ElfSymbol, SymbolBinding, SymbolType, SymbolVisibility } from '@bpfkit/elf';
import { FuncLinkage } from './kinds.js';
import type { BtfType } from './types.js';
import { plainType } from './views.js';

/**
 * Makes the BTF FUNC of every hidden subprogram static, as libbpf does before loading BTF: a
 * global function in `.text` with hidden or internal visibility (`__hidden`, e.g. the
 * helpers of libbpf's `usdt.bpf.h`) is then verified with its caller's context, not on
 * its own as a global function would be. The first global FUNC of each such name changes.
 * Edits `types` in place (index = id − 1).
 */
export function staticHiddenSubprograms(types: BtfType[], elf: ElfFile): void {
  for (const symbol of hiddenSubprograms(elf)) {
    const index = types.findIndex(
      (t) => t.kind === 'func' && t.linkage === FuncLinkage.GLOBAL && t.name === symbol.name,
    );
    const func = types[index];
    if (func?.kind === 'func') types[index] = { ...plainType(func), linkage: FuncLinkage.STATIC };
  }
}

/** The symbols of `elf`'s hidden subprograms: global or weak FUNCs in `.text` with hidden or internal visibility. */
export function hiddenSubprograms(elf: ElfFile): ElfSymbol[] {
  const text = elf.sectionByName('.text');
  if (text === undefined) return [];
  return elf.symbols.filter(
    (symbol) =>
      symbol.type === SymbolType.FUNC &&
      symbol.sectionIndex === text.index &&
      symbol.bind !== SymbolBinding.LOCAL &&
      (symbol.visibility === SymbolVisibility.HIDDEN || symbol.visibility === SymbolVisibility.INTERNAL),
  );
}
