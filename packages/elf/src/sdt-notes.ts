import { ElfError } from './errors.js';
import type { ElfFile } from './file.js';
import { decodeUtf8 } from './text.js';
import { ByteView } from './view.js';

/** One USDT probe, as a `NT_STAPSDT` note of `.note.stapsdt` describes it (what `<sys/sdt.h>` emits). */
export interface SdtNote {
  /** Provider and probe name (`DTRACE_PROBE2(provider, name, …)`). */
  readonly provider: string;
  /** The probe's name. */
  readonly name: string;
  /** Address of the probe's `nop`, as linked, adjusted by how far `.stapsdt.base` moved (prelink). */
  readonly address: bigint;
  /** Address of the probe's semaphore (a `unsigned short` tracers raise), 0 for none; adjusted likewise. */
  readonly semaphore: bigint;
  /** The argument specs, as the assembler saw them (`-4@%edi 8@-8(%rbp) -4@$42`); empty without arguments. */
  readonly args: string;
}

/** `NT_STAPSDT`. */
const NT_STAPSDT = 3;
/** The owner of a stapsdt note, with its NUL: `stapsdt\0`, as bytes. */
const OWNER = [0x73, 0x74, 0x61, 0x70, 0x73, 0x64, 0x74, 0x00] as const;

const align4 = (n: number) => (n + 3) & ~3;

/** True when the note name at `at` of `nameSize` bytes is `stapsdt` (compared as bytes, the NUL not checked, as before). */
function isStapsdtOwner(bytes: Uint8Array, at: number, nameSize: number): boolean {
  if (nameSize !== OWNER.length) return false;
  for (let i = 0; i < OWNER.length - 1; i++) if (bytes[at + i] !== OWNER[i]) return false;
  return true;
}

/**
 * The USDT probes of `elf`, from its `.note.stapsdt` section (none when there is none), in
 * note order. Addresses are corrected for a `.stapsdt.base` section that was moved after
 * the notes were written (the note records the base it was linked at), as SystemTap and
 * libbpf do. The three strings are found by their NULs in the note's bytes and decoded
 * one by one (no decoded descriptor split into pieces).
 * @throws {@link ElfError} `bad-note` for a note that runs past its section or misses its strings.
 */
export function readSdtNotes(elf: ElfFile): SdtNote[] {
  const section = elf.sectionByName('.note.stapsdt');
  if (section === undefined) return [];
  const base = elf.sectionByName('.stapsdt.base');
  const fail = (offset: number, problem: string): never => {
    throw new ElfError('bad-note', problem, {
      ...(elf.name === undefined ? {} : { object: elf.name }),
      section: section.index,
      sectionName: section.name,
      offset: section.offset + offset,
    });
  };
  const bytes = section.data;
  const view = new ByteView(bytes, elf.littleEndian, (offset) =>
    fail(offset, 'a note runs past the end of the section'),
  );
  const notes: SdtNote[] = [];
  for (let at = 0; at + 12 <= bytes.length; ) {
    const nameSize = view.u32(at);
    const descSize = view.u32(at + 4);
    const type = view.u32(at + 8);
    const nameAt = at + 12;
    const descAt = nameAt + align4(nameSize);
    view.need(descAt, descSize, 'note');
    if (type === NT_STAPSDT && isStapsdtOwner(bytes, nameAt, nameSize)) {
      if (descSize < 24) fail(at, `a stapsdt note of ${descSize} bytes is shorter than its three addresses`);
      const end = descAt + descSize;
      const providerEnd = bytes.indexOf(0, descAt + 24);
      const nameEnd = providerEnd < 0 || providerEnd >= end ? -1 : bytes.indexOf(0, providerEnd + 1);
      if (nameEnd < 0 || nameEnd >= end) fail(at, 'a stapsdt note misses its provider, name or argument string');
      const argsEnd = bytes.indexOf(0, nameEnd + 1);
      const linkedBase = view.u64(descAt + 8);
      const shift = base === undefined || linkedBase === 0n ? 0n : base.address - linkedBase;
      const semaphore = view.u64(descAt + 16);
      notes.push({
        provider: decodeUtf8(bytes.subarray(descAt + 24, providerEnd)),
        name: decodeUtf8(bytes.subarray(providerEnd + 1, nameEnd)),
        address: view.u64(descAt) + shift,
        semaphore: semaphore === 0n ? 0n : semaphore + shift,
        args: decodeUtf8(bytes.subarray(nameEnd + 1, argsEnd < 0 || argsEnd > end ? end : argsEnd)),
      });
    }
    at = descAt + align4(descSize);
  }
  return notes;
}
