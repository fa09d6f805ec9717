import {
  type ElfFile,
  type ElfSymbol,
  type Section,
  SectionFlag,
  SectionType,
  SymbolBinding,
  SymbolType,
} from '@bpfkit/elf';
import { RelocError } from './errors.js';
import { decodeInstructions, INSN_SIZE, type Instruction, requireWholeInstructions } from './insn/instruction.js';

/** A function in a code section: a program entry point, or a subprogram in `.text`. */
export interface CodeFunction {
  /** Symbol name. */
  readonly name: string;
  /** The section holding it. */
  readonly section: Section;
  /** First instruction index in the section. */
  readonly start: number;
  /** One past the last instruction index. */
  readonly end: number;
  /** The ELF symbol. */
  readonly symbol: ElfSymbol;
}

/** One executable section, decoded once, with its functions and the relocations that patch it. */
export interface CodeSection {
  /** The ELF section holding the code. */
  readonly section: Section;
  /** Its instructions, decoded on first read (linking copies the section's bytes). */
  readonly instructions: readonly Instruction[];
  /** Functions sorted by start. */
  readonly functions: readonly CodeFunction[];
  /** Relocation symbol index by instruction index. */
  readonly relocations: ReadonlyMap<number, ElfSymbol>;
}

/**
 * A {@link CodeSection} as linking reads it: no decoded instructions (linking reads the
 * section's bytes), and its relocated instructions in ascending order instead of a map.
 */
export interface SectionCode extends Omit<CodeSection, 'instructions' | 'relocations'> {
  /** Indexes of the relocated instructions, ascending. */
  readonly relocated: readonly number[];
  /** The symbol of each of {@link relocated}. */
  readonly relocatedSymbols: readonly ElfSymbol[];
}

/** True for sections holding BPF code. */
export function isCodeSection(section: Section): boolean {
  return section.type === SectionType.PROGBITS && (section.flags & SectionFlag.EXECINSTR) !== 0 && section.size > 0;
}

/**
 * Every non-empty executable section, its instructions, functions (from FUNC symbols) and
 * relocations. Entry points are the functions outside `.text`; `.text` holds subprograms.
 * @throws {@link RelocError} for functions that do not lie on instruction boundaries inside their section.
 */
export function readCodeSections(elf: ElfFile): Map<number, CodeSection> {
  const sections = new Map<number, CodeSection>();
  for (const [index, { section, functions, relocated, relocatedSymbols }] of readSectionCode(elf)) {
    const instructions = decodeInstructions(section.data, elf.littleEndian);
    const relocations = new Map(relocated.map((insn, i) => [insn, relocatedSymbols[i] as ElfSymbol]));
    sections.set(index, { section, instructions, functions, relocations });
  }
  return sections;
}

/**
 * {@link readCodeSections} without decoding instructions, as linking wants it.
 * @throws {@link RelocError} as {@link readCodeSections} does.
 */
export function readSectionCode(elf: ElfFile): Map<number, SectionCode> {
  const object = elf.name;
  const where = object === undefined ? {} : { object };
  const sections = new Map<number, SectionCode>();
  let functionSymbols: Map<number, ElfSymbol[]> | undefined;
  for (const section of elf.sections) {
    if (!isCodeSection(section)) continue;
    requireWholeInstructions(section.data);
    functionSymbols ??= functionSymbolsBySection(elf);
    const functions = (functionSymbols.get(section.index) ?? [])
      .map((symbol) => {
        if (
          symbol.value % INSN_SIZE !== 0 ||
          symbol.size % INSN_SIZE !== 0 ||
          symbol.size === 0 ||
          symbol.value + symbol.size > section.size
        ) {
          throw new RelocError(
            'bad-program',
            `function '${symbol.name}' does not lie on instruction boundaries inside its section`,
            {
              ...where,
              section: section.name,
              program: symbol.name,
              offset: symbol.value,
            },
          );
        }
        return {
          name: symbol.name,
          section,
          start: symbol.value / INSN_SIZE,
          end: (symbol.value + symbol.size) / INSN_SIZE,
          symbol,
        };
      })
      .sort((a, b) => a.start - b.start);
    const { relocated, relocatedSymbols } = sectionRelocations(elf, section, where);
    sections.set(section.index, { section, functions, relocated, relocatedSymbols });
  }
  return sections;
}

/**
 * The relocated instructions of a code section, ascending, and the symbol of each. A later
 * relocation of the same instruction replaces an earlier one. ELF lists a section's
 * relocations in order, so two lists are filled as they come; only a producer's unordered
 * or repeated entries go through a map and a sort.
 * @throws {@link RelocError} `bad-relocation` for a relocation off the section's instructions.
 */
function sectionRelocations(
  elf: ElfFile,
  section: Section,
  where: { object?: string },
): { relocated: number[]; relocatedSymbols: ElfSymbol[] } {
  const entries = elf.relocationsFor(section.index)?.entries ?? [];
  const relocated: number[] = [];
  const relocatedSymbols: ElfSymbol[] = [];
  let ordered = true;
  for (const entry of entries) {
    if (entry.offset % INSN_SIZE !== 0 || entry.offset >= section.size) {
      throw new RelocError('bad-relocation', 'relocation does not point at an instruction of the section', {
        ...where,
        section: section.name,
        offset: entry.offset,
      });
    }
    const insn = entry.offset / INSN_SIZE;
    if (relocated.length > 0 && insn <= (relocated[relocated.length - 1] as number)) ordered = false;
    relocated.push(insn);
    relocatedSymbols.push(elf.symbol(entry.symbol));
  }
  if (ordered) return { relocated, relocatedSymbols };
  const byInsn = new Map(relocated.map((insn, i) => [insn, relocatedSymbols[i] as ElfSymbol]));
  const sorted = [...byInsn.keys()].sort((a, b) => a - b);
  return { relocated: sorted, relocatedSymbols: sorted.map((insn) => byInsn.get(insn) as ElfSymbol) };
}

/** The `STT_FUNC` symbols of each section, in symbol table order: one pass over the symbols. */
function functionSymbolsBySection(elf: ElfFile): Map<number, ElfSymbol[]> {
  const bySection = new Map<number, ElfSymbol[]>();
  for (const symbol of elf.symbols) {
    if (symbol.type !== SymbolType.FUNC) continue;
    const list = bySection.get(symbol.sectionIndex);
    if (list === undefined) bySection.set(symbol.sectionIndex, [symbol]);
    else list.push(symbol);
  }
  return bySection;
}

/**
 * The program entry points: FUNC symbols in code sections other than `.text`, in section
 * then offset order. Static entry points are refused, as libbpf does.
 * @throws {@link RelocError} `bad-program` naming a static program.
 */
export function entryPoints(
  elf: ElfFile,
  code: ReadonlyMap<number, Pick<CodeSection, 'section' | 'functions'>>,
): CodeFunction[] {
  const programs: CodeFunction[] = [];
  for (const { section, functions } of code.values()) {
    if (section.name === '.text') continue;
    for (const fn of functions) {
      if (fn.symbol.bind === SymbolBinding.LOCAL) {
        throw new RelocError('bad-program', 'program is static; entry points must be global functions', {
          ...(elf.name === undefined ? {} : { object: elf.name }),
          section: section.name,
          program: fn.name,
        });
      }
      programs.push(fn);
    }
  }
  return programs;
}
