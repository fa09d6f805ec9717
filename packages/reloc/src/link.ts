import { type ElfFile, type ElfSymbol, isReservedSectionIndex, SymbolBinding } from '@bpfkit/elf';
import { ARENA_SECTION, isGlobalDataSection, type MapSpec } from '@bpfkit/maps';
import { RelocError } from './errors.js';
import type { MissingExtInfo, SectionRecords } from './ext-info.js';
import { INSN_SIZE, sourceRegister } from './insn/instruction.js';
import { CALL, LD_IMM64, PseudoSource } from './insn/opcodes.js';
import { type CodePiece, ProgramCode } from './program-code.js';
import type { KsymReference, MapReference } from './program-instruction.js';
import type { CodeFunction, SectionCode } from './programs.js';

/** A run of instructions copied into a program: its own code or a subprogram. */
export interface LinkedPiece {
  /** The function the piece is. */
  readonly function: CodeFunction;
  /** Where the piece starts in the final program. */
  readonly base: number;
}

/** A program's instructions with subprograms appended and calls fixed. */
export interface LinkedProgram {
  /**
   * The entry point followed by every subprogram it reaches, calls fixed, as bytes with
   * metadata only where instructions carry some (`code.instructions()` gives each with its metadata).
   */
  readonly code: ProgramCode;
  /** Where each function copied in starts. */
  readonly pieces: readonly LinkedPiece[];
  /** A subprogram lacking func or line info its entry point has. */
  readonly missingExtInfo: MissingExtInfo | undefined;
}

/** Shared by every program without references, call offsets or callbacks (never written to). */
const noReferences: ReadonlyMap<number, MapReference | KsymReference> = new Map();
const noImmediates: ReadonlyMap<number, number> = new Map();
const noCallbacks: ReadonlySet<number> = new Set();

/** A call or callback whose offset is fixed once every piece has its place. */
interface CallFixup {
  /** The calling instruction's index in the program. */
  readonly at: number;
  /** The code section called into. */
  readonly section: number;
  /** The called instruction's index in that section. */
  readonly target: number;
}

/** The signed 32-bit immediate of the instruction slot at byte `offset` of `bytes`. */
function immediateAt(bytes: Uint8Array, offset: number, littleEndian: boolean): number {
  const b4 = bytes[offset + 4] as number;
  const b5 = bytes[offset + 5] as number;
  const b6 = bytes[offset + 6] as number;
  const b7 = bytes[offset + 7] as number;
  return littleEndian ? b4 | (b5 << 8) | (b6 << 16) | (b7 << 24) : (b4 << 24) | (b5 << 16) | (b6 << 8) | b7;
}

/**
 * Copies `entry` and every subprogram it reaches (bpf-to-bpf calls and callbacks, found
 * through relocations or same-section calls) into one instruction stream, each subprogram
 * once, and fixes call offsets. The stream is kept as bytes, as libbpf keeps it: only the
 * instructions that refer to a map, global data or `__ksym` get an object, and each piece
 * keeps its section's func and line info (each kind only when the entry point has it, as
 * libbpf sends them) and CO-RE records, read off when the instructions are asked for.
 * `exceptionCallback` (a `.text` function the entry names with an `exception_callback:`
 * decl tag) is appended last when nothing calls it, as libbpf does: the kernel finds it by
 * its func_info.
 * @throws {@link RelocError} naming program, section and instruction for a relocation it cannot apply.
 */
export function linkProgram(
  elf: ElfFile,
  code: ReadonlyMap<number, SectionCode>,
  entry: CodeFunction,
  maps: readonly MapSpec[],
  records: ReadonlyMap<string, SectionRecords>,
  exceptionCallback?: string,
): LinkedProgram {
  const object = elf.name;
  const littleEndian = elf.littleEndian;
  const pieces: LinkedPiece[] = [];
  const codePieces: CodePiece[] = [];
  let length = 0;
  // Made on first use: most programs of a small object have no callback, many no reference.
  let references: Map<number, MapReference | KsymReference> | undefined;
  let callbacks: Set<number> | undefined;
  const entryRecords = records.get(entry.section.name);
  const withFunc = entryRecords?.func.hasIn(entry.start, entry.end) === true;
  const withLine = entryRecords?.line.hasIn(entry.start, entry.end) === true;
  let missingExtInfo: MissingExtInfo | undefined;
  const fixups: CallFixup[] = [];

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
    const own = records.get(fn.section.name);
    if (pieces.length > 0 && missingExtInfo === undefined) {
      if (withFunc && (own === undefined || !own.func.hasIn(fn.start, fn.end)))
        missingExtInfo = { kind: 'func', subprogram: fn.name };
      else if (withLine && (own === undefined || !own.line.hasIn(fn.start, fn.end)))
        missingExtInfo = { kind: 'line', subprogram: fn.name };
    }
    pieces.push({ function: fn, base: length });
    codePieces.push({
      base: length,
      data: fn.section.data,
      start: fn.start,
      end: fn.end,
      records: own,
      withFunc,
      withLine,
    });
    length += fn.end - fn.start;
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
  // calls are followed before the caller's next instruction. An instruction that is neither
  // a call nor relocated costs one opcode read (the relocation sites are walked in order).
  const process = (piece: LinkedPiece): void => {
    const fn = piece.function;
    const source = code.get(fn.section.index) as SectionCode;
    const sectionName = fn.section.name;
    const bytes = source.section.data;
    const { relocated: sites, relocatedSymbols: symbols } = source;
    let site = 0;
    while (site < sites.length && (sites[site] as number) < fn.start) site++;
    let nextSite = site < sites.length ? (sites[site] as number) : fn.end;
    for (let i = fn.start; i < fn.end; i++) {
      const offset = i * INSN_SIZE;
      const opcode = bytes[offset] as number;
      let symbol: ElfSymbol | undefined;
      // A relocation on the second slot of an ld_imm64 is skipped with the slot, as before.
      while (nextSite < i) nextSite = ++site < sites.length ? (sites[site] as number) : fn.end;
      if (nextSite === i) symbol = symbols[site];
      else if (opcode !== CALL) {
        if (opcode === LD_IMM64) i++;
        continue;
      }
      const at = piece.base + (i - fn.start);
      const before = fixups.length;
      const registers = bytes[offset + 1] as number;
      const isCall = opcode === CALL && sourceRegister(registers, littleEndian) === PseudoSource.CALL;
      if (isCall && symbol?.sectionIndex === 0) {
        references ??= new Map();
        references.set(at, { kind: 'kfunc', name: symbol.name, weak: symbol.bind === SymbolBinding.WEAK });
      } else if (isCall) {
        const imm = immediateAt(bytes, offset, littleEndian);
        if (symbol === undefined) {
          fixups.push({ at, section: fn.section.index, target: i + imm + 1 });
        } else {
          if (!code.has(symbol.sectionIndex))
            fail('bad-call', `call to '${symbol.name}', which is not code`, sectionName, i, symbol.name);
          fixups.push({ at, section: symbol.sectionIndex, target: symbol.value / 8 + imm + 1 });
        }
      } else if (symbol !== undefined) {
        if (opcode !== LD_IMM64) {
          fail(
            'bad-relocation',
            `relocation against '${symbol.name}' on an instruction that is neither a call nor ld_imm64 (code 0x${opcode.toString(16)})`,
            sectionName,
            i,
            symbol.name,
          );
        }
        const imm = immediateAt(bytes, offset, littleEndian);
        const load = resolveLoad(elf, code, maps, symbol, imm, i, sectionName, fail);
        if (load.kind === 'callback') {
          callbacks ??= new Set();
          callbacks.add(at);
          fixups.push({ at, section: load.section, target: load.target });
        } else {
          references ??= new Map();
          references.set(at, load);
        }
      }
      // The calls this instruction made.
      for (let f = before, made = fixups.length; f < made; f++) {
        const fixup = fixups[f] as CallFixup;
        if (containing(fixup.section, fixup.target) === undefined) {
          append(functionAt(fixup.section, fixup.target, sectionName, i));
          process(pieces[pieces.length - 1] as LinkedPiece);
        }
      }
      if (opcode === LD_IMM64) i++;
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

  let immediates: Map<number, number> | undefined;
  for (const fixup of fixups) {
    const piece = containing(fixup.section, fixup.target) as LinkedPiece;
    immediates ??= new Map();
    immediates.set(fixup.at, piece.base + (fixup.target - piece.function.start) - (fixup.at + 1));
  }
  return {
    code: new ProgramCode(
      littleEndian,
      codePieces,
      references ?? noReferences,
      immediates ?? noImmediates,
      callbacks ?? noCallbacks,
    ),
    pieces,
    missingExtInfo,
  };
}

/** What an ld_imm64 relocation loads: a map, global data or `__ksym`, or a function's address. */
type LoadTarget =
  | MapReference
  | KsymReference
  | { readonly kind: 'callback'; readonly section: number; readonly target: number };

/** What the ld_imm64 at section instruction `index`, relocated against `symbol`, loads. */
function resolveLoad(
  elf: ElfFile,
  code: ReadonlyMap<number, SectionCode>,
  maps: readonly MapSpec[],
  symbol: ElfSymbol,
  imm: number,
  index: number,
  sectionName: string,
  fail: (code: RelocError['code'], problem: string, section: string, insn: number, symbol?: string) => never,
): LoadTarget {
  if (isReservedSectionIndex(symbol.sectionIndex)) {
    if (symbol.sectionIndex === 0) {
      const kconfig = maps.find((m) => m.source === 'kconfig');
      const extern = kconfig?.externs.find((e) => e.name === symbol.name);
      if (kconfig === undefined || extern === undefined) {
        // Not a __kconfig value, so a __ksym: the kernel symbol's address (or BTF id) goes here.
        return { kind: 'variable', name: symbol.name, weak: symbol.bind === SymbolBinding.WEAK };
      }
      return { kind: 'map-value', map: (kconfig as MapSpec).name, offset: (extern as { offset: number }).offset };
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
    return { kind: 'callback', section: symbol.sectionIndex, target: (symbol.value + imm) / 8 };
  }
  const target = elf.section(symbol.sectionIndex).name;
  let map: MapSpec | undefined;
  let kind: MapReference['kind'] = 'map-fd';
  let offset = 0;
  if (target === '.maps') {
    map = maps.find((m) => m.source === 'btf' && m.sectionOffset === symbol.value);
  } else if (target === 'maps') {
    map = maps.find((m) => m.source === 'legacy' && m.sectionOffset === symbol.value);
  } else if (isGlobalDataSection(target)) {
    map = maps.find((m) => m.source === 'data' && m.section === target);
    kind = 'map-value';
    offset = imm + symbol.value;
  } else if (target === ARENA_SECTION) {
    // An __arena global: an address inside the arena map's memory.
    map = maps.find((m) => m.arenaGlobals !== undefined);
    kind = 'map-value';
    offset = imm + symbol.value;
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
  return { kind, map: (map as MapSpec).name, offset };
}
