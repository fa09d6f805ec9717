import { type ElfFile, SymbolBinding, SymbolType, SymbolVisibility } from '@bpfkit/elf';
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
  const text = elf.sectionByName('.text');
  if (text === undefined) return;
  for (const symbol of elf.symbols) {
    if (symbol.type !== SymbolType.FUNC || symbol.sectionIndex !== text.index) continue;
    if (symbol.bind === SymbolBinding.LOCAL) continue;
    if (symbol.visibility !== SymbolVisibility.HIDDEN && symbol.visibility !== SymbolVisibility.INTERNAL) continue;
    const index = types.findIndex(
      (t) => t.kind === 'func' && t.linkage === FuncLinkage.GLOBAL && t.name === symbol.name,
    );
    const func = types[index];
    if (func?.kind === 'func') types[index] = { ...plainType(func), linkage: FuncLinkage.STATIC };
  }
}
