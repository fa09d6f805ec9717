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
const OWNER = 'stapsdt';

const align4 = (n: number) => (n + 3) & ~3;

/**
 * The USDT probes of `elf`, from its `.note.stapsdt` section (none when there is none), in
 * note order. Addresses are corrected for a `.stapsdt.base` section that was moved after
 * the notes were written (the note records the base it was linked at), as SystemTap and
 * libbpf do.
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
    const owner = decodeUtf8(bytes.subarray(nameAt, nameAt + Math.max(0, nameSize - 1)));
    if (type === NT_STAPSDT && owner === OWNER) {
      if (descSize < 24) fail(at, `a stapsdt note of ${descSize} bytes is shorter than its three addresses`);
      const strings = decodeUtf8(bytes.subarray(descAt + 24, descAt + descSize)).split('\0');
      if (strings.length < 3) fail(at, 'a stapsdt note misses its provider, name or argument string');
      const linkedBase = view.u64(descAt + 8);
      const shift = base === undefined || linkedBase === 0n ? 0n : base.address - linkedBase;
      const semaphore = view.u64(descAt + 16);
      notes.push({
        provider: strings[0] as string,
        name: strings[1] as string,
        address: view.u64(descAt) + shift,
        semaphore: semaphore === 0n ? 0n : semaphore + shift,
        args: strings[2] as string,
      });
    }
    at = descAt + align4(descSize);
  }
  return notes;
}
