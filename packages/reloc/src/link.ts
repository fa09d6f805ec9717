import { type ElfFile, type ElfSymbol, isReservedSectionIndex, SymbolBinding } from '@bpfkit/elf';
import { ARENA_SECTION, type MapSpec } from '@bpfkit/maps';
import { RelocError } from './errors.js';
import type { Instruction } from './insn/instruction.js';
import { CALL, LD_IMM64, PseudoSource } from './insn/opcodes.js';
import type { CodeFunction, CodeSection } from './programs.js';

/** A map the final program refers to: the loader writes the map's fd (and offset) there. */
export interface MapReference {
  /** Index of the ld_imm64 in the final instructions. */
  readonly insn: number;
  /** `map-fd` (BPF_PSEUDO_MAP_FD) or `map-value` (BPF_PSEUDO_MAP_VALUE, global data). */
  readonly kind: 'map-fd' | 'map-value';
  /** Name of the {@link MapSpec} referred to. */
  readonly map: string;
  /** Offset into the map value, for `map-value`. */
  readonly offset: number;
}

/** A `__ksym` extern a program uses, resolved against the running kernel at load time. */
export interface KsymReference {
  /** Index of the call (`kfunc`) or ld_imm64 (`variable`) in the final instructions. */
  readonly insn: number;
  /** A kernel function called directly (kfunc), or a kernel symbol whose address is loaded. */
  readonly kind: 'kfunc' | 'variable';
  /** The extern's name. */
  readonly name: string;
  /** Declared `__weak`: resolves to 0 when the kernel lacks it instead of failing. */
  readonly weak: boolean;
}

/** A run of instructions copied into a program: its own code or a subprogram. */
export interface LinkedPiece {
  /** The function the piece is. */
  readonly function: CodeFunction;
  /** Where the piece starts in the final program. */
  readonly base: number;
}

/** A program's instructions with subprograms appended and calls fixed. */
export interface LinkedProgram {
  /** The entry point followed by every subprogram it reaches, calls fixed. */
  readonly instructions: Instruction[];
  /** Where each function copied in starts. */
  readonly pieces: readonly LinkedPiece[];
  /** Map and global-data references to patch with map fds. */
  readonly references: readonly MapReference[];
  /** `__ksym` references to resolve against the kernel. */
  readonly ksyms: readonly KsymReference[];
}

const dataSection = /^\.(data|rodata|bss)(\..+)?$/;

/**
 * Copies `entry` and every subprogram it reaches (bpf-to-bpf calls and callbacks, found
 * through relocations or same-section calls) into one instruction stream, each subprogram
 * once, and fixes call offsets; records where map and global-data references need fds.
 * `exceptionCallback` (a `.text` function the entry names with an `exception_callback:`
 * decl tag) is appended last when nothing calls it, as libbpf does: the kernel finds it by
 * its func_info.
 * @throws {@link RelocError} naming program, section and instruction for a relocation it cannot apply.
 */
export function linkProgram(
  elf: ElfFile,
  code: ReadonlyMap<number, CodeSection>,
  entry: CodeFunction,
  maps: readonly MapSpec[],
  exceptionCallback?: string,
): LinkedProgram {
  const object = elf.name;
  const instructions: Instruction[] = [];
  const pieces: LinkedPiece[] = [];
  const references: MapReference[] = [];
  const ksyms: KsymReference[] = [];
  const fixups: { at: number; section: number; target: number }[] = [];

  const fail = (code_: RelocError['code'], problem: string, section: string, insn: number, symbol?: string): never => {
    throw new RelocError(code_, problem, {
      ...(object === undefined ? {} : { object }),
      program: entry.name,
      section,
      insn,
      ...(symbol === undefined ? {} : { symbol }),
    });
  };

  const append = (fn: CodeFunction): void => {
    const source = code.get(fn.section.index) as CodeSection;
    pieces.push({ function: fn, base: instructions.length });
    for (let i = fn.start; i < fn.end; i++) instructions.push({ ...(source.instructions[i] as Instruction) });
  };

  const functionAt = (
    sectionIndex: number,
    index: number,
    from: string,
    insn: number,
    symbol?: string,
  ): CodeFunction => {
    const section = code.get(sectionIndex);
    const fn = section?.functions.find((f) => f.start === index);
    if (fn === undefined)
      fail('bad-call', `call target is not the start of a function (instruction ${index})`, from, insn, symbol);
    return fn as CodeFunction;
  };

  const containing = (section: number, target: number) =>
    pieces.find(
      (pc) => pc.function.section.index === section && target >= pc.function.start && target < pc.function.end,
    );

  // Depth first, as libbpf: a subprogram is appended where it is first called and its own
  // calls are followed before the caller's next instruction.
  const process = (piece: LinkedPiece): void => {
    const fn = piece.function;
    const source = code.get(fn.section.index) as CodeSection;
    const sectionName = fn.section.name;
    for (let i = fn.start; i < fn.end; i++) {
      const at = piece.base + (i - fn.start);
      const insn = instructions[at] as Instruction;
      const symbol = source.relocations.get(i);
      const before = fixups.length;
      if (insn.code === CALL && insn.src === PseudoSource.CALL && symbol?.sectionIndex === 0) {
        ksyms.push({ insn: at, kind: 'kfunc', name: symbol.name, weak: symbol.bind === SymbolBinding.WEAK });
      } else if (insn.code === CALL && insn.src === PseudoSource.CALL) {
        if (symbol === undefined) {
          fixups.push({ at, section: fn.section.index, target: i + insn.imm + 1 });
        } else {
          if (!code.has(symbol.sectionIndex))
            fail('bad-call', `call to '${symbol.name}', which is not code`, sectionName, i, symbol.name);
          fixups.push({ at, section: symbol.sectionIndex, target: symbol.value / 8 + insn.imm + 1 });
        }
      } else if (symbol !== undefined) {
        if (insn.code !== LD_IMM64) {
          fail(
            'bad-relocation',
            `relocation against '${symbol.name}' on an instruction that is neither a call nor ld_imm64 (code 0x${insn.code.toString(16)})`,
            sectionName,
            i,
            symbol.name,
          );
        }
        resolveLoad(elf, code, maps, symbol, insn, at, i, sectionName, fixups, references, ksyms, fail);
      }
      for (const fixup of fixups.slice(before)) {
        if (containing(fixup.section, fixup.target) === undefined) {
          append(functionAt(fixup.section, fixup.target, sectionName, i));
          process(pieces[pieces.length - 1] as LinkedPiece);
        }
      }
      if (insn.code === LD_IMM64) i++;
    }
  };

  append(entry);
  process(pieces[0] as LinkedPiece);
  if (exceptionCallback !== undefined && !pieces.some((p) => p.function.name === exceptionCallback)) {
    const callback = [...code.values()]
      .flatMap((section) => (section.section.name === '.text' ? section.functions : []))
      .find((fn) => fn.name === exceptionCallback);
    if (callback === undefined)
      fail('bad-call', `cannot find exception callback '${exceptionCallback}'`, entry.section.name, entry.start);
    append(callback as CodeFunction);
    process(pieces[pieces.length - 1] as LinkedPiece);
  }

  for (const fixup of fixups) {
    const piece = containing(fixup.section, fixup.target) as LinkedPiece;
    const target = piece.base + (fixup.target - piece.function.start);
    (instructions[fixup.at] as Instruction).imm = target - (fixup.at + 1);
  }
  return { instructions, pieces, references, ksyms };
}

function resolveLoad(
  elf: ElfFile,
  code: ReadonlyMap<number, CodeSection>,
  maps: readonly MapSpec[],
  symbol: ElfSymbol,
  insn: Instruction,
  at: number,
  index: number,
  sectionName: string,
  fixups: { at: number; section: number; target: number }[],
  references: MapReference[],
  ksyms: KsymReference[],
  fail: (code: RelocError['code'], problem: string, section: string, insn: number, symbol?: string) => never,
): void {
  if (isReservedSectionIndex(symbol.sectionIndex)) {
    if (symbol.sectionIndex === 0) {
      const kconfig = maps.find((m) => m.source === 'kconfig');
      const extern = kconfig?.externs.find((e) => e.name === symbol.name);
      if (kconfig === undefined || extern === undefined) {
        // Not a __kconfig value, so a __ksym: the kernel symbol's address (or BTF id) goes here.
        ksyms.push({ insn: at, kind: 'variable', name: symbol.name, weak: symbol.bind === SymbolBinding.WEAK });
        return;
      }
      references.push({
        insn: at,
        kind: 'map-value',
        map: (kconfig as MapSpec).name,
        offset: (extern as { offset: number }).offset,
      });
      return;
    }
    fail(
      'bad-relocation',
      `relocation against '${symbol.name}' in special section 0x${symbol.sectionIndex.toString(16)}`,
      sectionName,
      index,
      symbol.name,
    );
  }
  if (code.has(symbol.sectionIndex)) {
    // A function's address, passed as a callback.
    insn.src = PseudoSource.FUNC;
    fixups.push({ at, section: symbol.sectionIndex, target: (symbol.value + insn.imm) / 8 });
    return;
  }
  const target = elf.section(symbol.sectionIndex).name;
  let map: MapSpec | undefined;
  let kind: MapReference['kind'] = 'map-fd';
  let offset = 0;
  if (target === '.maps') {
    map = maps.find((m) => m.source === 'btf' && m.sectionOffset === symbol.value);
  } else if (target === 'maps') {
    map = maps.find((m) => m.source === 'legacy' && m.sectionOffset === symbol.value);
  } else if (dataSection.test(target)) {
    map = maps.find((m) => m.source === 'data' && m.section === target);
    kind = 'map-value';
    offset = insn.imm + symbol.value;
  } else if (target === ARENA_SECTION) {
    // An __arena global: an address inside the arena map's memory.
    map = maps.find((m) => m.arenaGlobals !== undefined);
    kind = 'map-value';
    offset = insn.imm + symbol.value;
  } else {
    fail(
      'bad-relocation',
      `relocation against '${symbol.name}' in section '${target}', which holds no map or data`,
      sectionName,
      index,
      symbol.name,
    );
  }
  if (map === undefined) {
    fail('missing-map', `no map is defined for '${symbol.name}' in '${target}'`, sectionName, index, symbol.name);
  }
  references.push({ insn: at, kind, map: (map as MapSpec).name, offset });
}
