import { type ElfFile, type ElfSymbol, isReservedSectionIndex, SymbolBinding } from '@bpfkit/elf';
import { ARENA_SECTION, type MapSpec } from '@bpfkit/maps';
import { RelocError } from './errors.js';
import { hasRecordIn, type MissingExtInfo, type SectionRecords } from './ext-info.js';
import type { Instruction } from './insn/instruction.js';
import { CALL, LD_IMM64, PseudoSource } from './insn/opcodes.js';
import type { MapReference, ProgramInstruction } from './program-instruction.js';
import type { CodeFunction, CodeSection } from './programs.js';

/** A run of instructions copied into a program: its own code or a subprogram. */
export interface LinkedPiece {
  /** The function the piece is. */
  readonly function: CodeFunction;
  /** Where the piece starts in the final program. */
  readonly base: number;
}

/** A program's instructions with subprograms appended and calls fixed. */
export interface LinkedProgram {
  /** The entry point followed by every subprogram it reaches, calls fixed, each with its metadata. */
  readonly instructions: readonly ProgramInstruction[];
  /** Where each function copied in starts. */
  readonly pieces: readonly LinkedPiece[];
  /** A subprogram lacking func or line info its entry point has. */
  readonly missingExtInfo: MissingExtInfo | undefined;
}

/** An instruction while it is linked: calls and references are written into it once. */
type LinkingInstruction = { -readonly [K in keyof ProgramInstruction]: ProgramInstruction[K] };

const dataSection = /^\.(data|rodata|bss)(\..+)?$/;

/**
 * Copies `entry` and every subprogram it reaches (bpf-to-bpf calls and callbacks, found
 * through relocations or same-section calls) into one instruction stream, each subprogram
 * once, and fixes call offsets. Each instruction carries its metadata: the map, global data
 * or `__ksym` it refers to, and from `records` its func and line info (each kind only when
 * the entry point has it, as libbpf sends them) and its CO-RE relocation.
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
  records: ReadonlyMap<string, SectionRecords>,
  exceptionCallback?: string,
): LinkedProgram {
  const object = elf.name;
  const instructions: LinkingInstruction[] = [];
  const pieces: LinkedPiece[] = [];
  const entryRecords = records.get(entry.section.name);
  const withFunc = entryRecords !== undefined && hasRecordIn(entryRecords.func, entry.start, entry.end);
  const withLine = entryRecords !== undefined && hasRecordIn(entryRecords.line, entry.start, entry.end);
  let missingExtInfo: MissingExtInfo | undefined;
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
    const own = records.get(fn.section.name);
    if (pieces.length > 0 && missingExtInfo === undefined) {
      if (withFunc && (own === undefined || !hasRecordIn(own.func, fn.start, fn.end)))
        missingExtInfo = { kind: 'func', subprogram: fn.name };
      else if (withLine && (own === undefined || !hasRecordIn(own.line, fn.start, fn.end)))
        missingExtInfo = { kind: 'line', subprogram: fn.name };
    }
    pieces.push({ function: fn, base: instructions.length });
    // Looked up once per piece, and read only inside their length: this runs for every instruction.
    const func = withFunc ? own?.func : undefined;
    const line = withLine ? own?.line : undefined;
    const core = own?.core;
    for (let i = fn.start; i < fn.end; i++) {
      const slot = source.instructions[i] as Instruction;
      instructions.push({
        code: slot.code,
        dst: slot.dst,
        src: slot.src,
        off: slot.off,
        imm: slot.imm,
        reference: undefined,
        func: func !== undefined && i < func.length ? func[i] : undefined,
        line: line !== undefined && i < line.length ? line[i] : undefined,
        core: core !== undefined && i < core.length ? core[i] : undefined,
      });
    }
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
      const insn = instructions[at] as LinkingInstruction;
      const symbol = source.relocations.get(i);
      const before = fixups.length;
      if (insn.code === CALL && insn.src === PseudoSource.CALL && symbol?.sectionIndex === 0) {
        insn.reference = { kind: 'kfunc', name: symbol.name, weak: symbol.bind === SymbolBinding.WEAK };
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
        resolveLoad(elf, code, maps, symbol, insn, at, i, sectionName, fixups, fail);
      }
      // The calls this instruction made (indexed, not sliced: this runs for every instruction).
      for (let f = before, made = fixups.length; f < made; f++) {
        const fixup = fixups[f] as (typeof fixups)[number];
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
    (instructions[fixup.at] as LinkingInstruction).imm = target - (fixup.at + 1);
  }
  return { instructions, pieces, missingExtInfo };
}

function resolveLoad(
  elf: ElfFile,
  code: ReadonlyMap<number, CodeSection>,
  maps: readonly MapSpec[],
  symbol: ElfSymbol,
  insn: LinkingInstruction,
  at: number,
  index: number,
  sectionName: string,
  fixups: { at: number; section: number; target: number }[],
  fail: (code: RelocError['code'], problem: string, section: string, insn: number, symbol?: string) => never,
): void {
  if (isReservedSectionIndex(symbol.sectionIndex)) {
    if (symbol.sectionIndex === 0) {
      const kconfig = maps.find((m) => m.source === 'kconfig');
      const extern = kconfig?.externs.find((e) => e.name === symbol.name);
      if (kconfig === undefined || extern === undefined) {
        // Not a __kconfig value, so a __ksym: the kernel symbol's address (or BTF id) goes here.
        insn.reference = { kind: 'variable', name: symbol.name, weak: symbol.bind === SymbolBinding.WEAK };
        return;
      }
      insn.reference = {
        kind: 'map-value',
        map: (kconfig as MapSpec).name,
        offset: (extern as { offset: number }).offset,
      };
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
  insn.reference = { kind, map: (map as MapSpec).name, offset };
}
