import { ElfType, Machine } from './constants.js';
import { ElfError } from './errors.js';
import type { ElfFile } from './file.js';

/** Names of `e_type` values, as a file's description uses them. */
const typeNames: Readonly<Record<number, string>> = {
  [ElfType.NONE]: 'an ELF file of no type',
  [ElfType.REL]: 'a relocatable object',
  [ElfType.EXEC]: 'an executable',
  [ElfType.DYN]: 'a shared object or position-independent executable',
  [ElfType.CORE]: 'a core dump',
};

/** Names of common `e_machine` values. */
const machineNames: Readonly<Record<number, string>> = {
  [Machine.NONE]: 'no machine',
  3: 'i386',
  8: 'MIPS',
  20: 'PowerPC',
  21: 'PowerPC64',
  22: 's390',
  40: 'ARM',
  [Machine.X86_64]: 'x86-64',
  183: 'AArch64',
  243: 'RISC-V',
  258: 'LoongArch',
  [Machine.BPF]: 'BPF',
};

/** What an ELF file is, in words: `a relocatable object for x86-64 (e_machine 62), little-endian`. */
export function describeElf(elf: ElfFile): string {
  const { type, machine, byteOrder } = elf.header;
  const what = typeNames[type] ?? `an ELF file of type ${type}`;
  return `${what} for ${machineNames[machine] ?? 'an unknown machine'} (e_machine ${machine}), ${byteOrder}-endian`;
}

/**
 * Refuses an ELF file that is not a BPF object as clang writes them, as libbpf does at
 * open: `e_type` must be `ET_REL` and `e_machine` `EM_BPF` (or 0, which old compilers wrote).
 * @throws {@link ElfError} `not-bpf` saying what the file is instead.
 */
export function requireBpfObject(elf: ElfFile): void {
  const { type, machine } = elf.header;
  if (type === ElfType.REL && (machine === Machine.BPF || machine === Machine.NONE)) return;
  throw new ElfError(
    'not-bpf',
    `not a BPF object: this is ${describeElf(elf)}; compile BPF programs with clang -target bpf -c`,
    {
      ...(elf.name === undefined ? {} : { object: elf.name }),
      field: type === ElfType.REL ? 'e_machine' : 'e_type',
      expected: type === ElfType.REL ? `${Machine.BPF} (BPF)` : `${ElfType.REL} (ET_REL)`,
      actual: type === ElfType.REL ? machine : type,
    },
  );
}
