import { type Btf, FuncLinkage, VarLinkage } from '@bpfkit/btf';
import { type ElfFile, type ElfSymbol, SymbolBinding, SymbolType } from '@bpfkit/elf';
import { RelocError } from './errors.js';

/** The sections an extern may be declared in: kernel symbols (`__ksym`) and config values (`__kconfig`). */
const KSYMS = '.ksyms';
const KCONFIG = '.kconfig';

/** True for a symbol the object uses but does not define: undefined, global or weak, untyped (clang's externs). */
function isExtern(symbol: ElfSymbol): boolean {
  return (
    symbol.sectionIndex === 0 &&
    symbol.name !== '' &&
    symbol.type === SymbolType.NOTYPE &&
    (symbol.bind === SymbolBinding.GLOBAL || symbol.bind === SymbolBinding.WEAK)
  );
}

/** The first BTF variable or function named `name`, when it is declared extern. */
function externDeclaration(btf: Btf, name: string): { id: number; kind: 'var' | 'func' } | undefined {
  for (const id of btf.idsByName(name)) {
    const type = btf.type(id);
    if (type.kind === 'var') return type.linkage === VarLinkage.GLOBAL_EXTERN ? { id, kind: 'var' } : undefined;
    if (type.kind === 'func') return type.linkage === FuncLinkage.EXTERN ? { id, kind: 'func' } : undefined;
  }
  return undefined;
}

/** For each type a DATASEC lists, the name of the first DATASEC listing it. */
function sectionsListing(btf: Btf): Map<number, string> {
  const listed = new Map<number, string>();
  for (let id = btf.firstId; id < btf.typeCount; id++) {
    if (btf.kindOf(id) !== 'datasec') continue;
    const datasec = btf.type(id);
    if (datasec.kind !== 'datasec') continue;
    for (const entry of datasec.vars) if (!listed.has(entry.type)) listed.set(entry.type, datasec.name);
  }
  return listed;
}

/**
 * Every extern the object uses that no loader can supply, as libbpf checks when it opens an
 * object: each must be declared in the BTF as an extern variable or function listed in
 * `.ksyms` (`__ksym`: a kernel function or symbol) or `.kconfig` (`__kconfig`, variables
 * only). Any other extern, typically a function another object defines, is refused whether
 * or not a program that loads uses it: such objects are linked first (`bpftool gen object`).
 * One error (`unsupported-extern`, naming the object and the symbol) per refused extern, in
 * symbol table order; empty when all can be supplied.
 */
export function externDeclarationProblems(elf: ElfFile, btf: Btf | undefined): RelocError[] {
  const problems: RelocError[] = [];
  const refuse = (symbol: string, problem: string, hint: string): void => {
    problems.push(
      new RelocError(
        'unsupported-extern',
        problem,
        { ...(elf.name === undefined ? {} : { object: elf.name }), symbol },
        { hint },
      ),
    );
  };
  const link = 'link it with the object that defines it first (bpftool gen object out.o a.o b.o)';
  const externs = elf.symbols.filter(isExtern);
  if (externs.length === 0) return problems;
  const listing = btf === undefined ? new Map<number, string>() : sectionsListing(btf);
  for (const { name } of externs) {
    if (btf === undefined) {
      refuse(
        name,
        `extern '${name}' cannot be resolved: the object has no BTF to say what it is`,
        `compile with -g, or ${link}`,
      );
      continue;
    }
    const declared = externDeclaration(btf, name);
    const section = declared === undefined ? undefined : listing.get(declared.id);
    if (declared === undefined || section === undefined) {
      const what = declared?.kind === 'func' ? 'function' : 'symbol';
      refuse(
        name,
        `extern ${what} '${name}' is defined by no object and is neither a __ksym nor a __kconfig extern`,
        `${link}, or declare it __ksym if the kernel provides it`,
      );
    } else if (section === KCONFIG && declared.kind === 'func') {
      refuse(
        name,
        `extern function '${name}' is declared __kconfig`,
        'only variables can be __kconfig; declare kernel functions __ksym',
      );
    } else if (section !== KCONFIG && section !== KSYMS) {
      refuse(name, `extern '${name}' is declared in section '${section}'`, 'externs are either __ksym or __kconfig');
    }
  }
  return problems;
}

/**
 * Refuses an object with an extern no loader can supply, as libbpf's open does (see
 * {@link externDeclarationProblems}).
 * @throws {@link RelocError} `unsupported-extern` naming the object and the first such symbol.
 */
export function checkExternDeclarations(elf: ElfFile, btf: Btf | undefined): void {
  const [first] = externDeclarationProblems(elf, btf);
  if (first !== undefined) throw first;
}
