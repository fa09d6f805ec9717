import { RecordSize, SectionIndex } from './constants.js';
import { ElfError } from './errors.js';
import { ElfReader, FileRegion } from './reader.js';
import type { ElfSource } from './source.js';

/** Byte order of an ELF file, from `EI_DATA`. */
export type ByteOrder = 'little' | 'big';

/** The decoded ELF64 file header (`Elf64_Ehdr`). */
export interface ElfHeader {
  /** `EI_DATA`: the byte order of every multi-byte field in the file. */
  readonly byteOrder: ByteOrder;
  /** `EI_OSABI`. */
  readonly osAbi: number;
  /** `EI_ABIVERSION`. */
  readonly abiVersion: number;
  /** `e_type` (see {@link ElfType}). */
  readonly type: number;
  /** `e_machine` (see {@link Machine}; BPF is 247). */
  readonly machine: number;
  /** `e_version`. */
  readonly version: number;
  /** `e_entry`. */
  readonly entry: bigint;
  /** `e_flags`. */
  readonly flags: number;
  /** `e_phoff`: program header table offset (BPF objects have none). */
  readonly programHeaderOffset: number;
  /** `e_phentsize`. */
  readonly programHeaderEntrySize: number;
  /** `e_phnum`. */
  readonly programHeaderCount: number;
  /** `e_shoff`: where the section header table starts, 0 when there is none. */
  readonly sectionHeaderOffset: number;
  /** `e_shentsize`. */
  readonly sectionHeaderEntrySize: number;
  /** `e_shnum` as stored; 0 with a non-zero table offset means the count is in section 0. */
  readonly rawSectionCount: number;
  /** `e_shstrndx` as stored; `SHN_XINDEX` means the index is in section 0's `sh_link`. */
  readonly rawSectionNameIndex: number;
}

const ELFMAG = [0x7f, 0x45, 0x4c, 0x46];
const ELFCLASS32 = 1;
const ELFCLASS64 = 2;
const ELFDATA2LSB = 1;
const ELFDATA2MSB = 2;
const EV_CURRENT = 1;

/**
 * Reads the identification bytes and the ELF64 header of a file held whole or read by
 * position; returns the header and a reader with the file's byte order.
 */
export function readHeader(
  input: Uint8Array | ElfSource,
  object: string | undefined,
): { header: ElfHeader; reader: ElfReader } {
  const size = input instanceof Uint8Array ? input.byteLength : input.size;
  // Whole, or as much of the header as the file holds.
  const bytes = input instanceof Uint8Array ? input : input.read(0, Math.max(0, Math.min(size, RecordSize.HEADER)));
  const at = (offset: number) => bytes[offset] as number;
  const fail = (code: ElfError['code'], problem: string, context: ElfError['context']) => {
    throw new ElfError(code, problem, object === undefined ? context : { object, ...context });
  };
  if (bytes.byteLength < 16) {
    fail('truncated', 'the file is shorter than the 16-byte ELF identification', {
      offset: 0,
      expected: 'at least 16 bytes',
      actual: `${bytes.byteLength} bytes`,
    });
  }
  for (let i = 0; i < ELFMAG.length; i++) {
    if (at(i) !== ELFMAG[i]) {
      fail('bad-magic', 'not an ELF file', {
        field: 'e_ident[EI_MAG]',
        offset: i,
        expected: '7f 45 4c 46',
        actual: hex(bytes.subarray(0, 4)),
      });
    }
  }
  const elfClass = at(4);
  if (elfClass !== ELFCLASS64) {
    fail(
      'unsupported-class',
      elfClass === ELFCLASS32 ? 'ELF32 files are not supported; BPF objects are ELF64' : 'unknown ELF class',
      { field: 'e_ident[EI_CLASS]', offset: 4, expected: ELFCLASS64, actual: elfClass },
    );
  }
  const data = at(5);
  if (data !== ELFDATA2LSB && data !== ELFDATA2MSB) {
    fail('bad-byte-order', 'unknown byte order', {
      field: 'e_ident[EI_DATA]',
      offset: 5,
      expected: '1 (little) or 2 (big)',
      actual: data,
    });
  }
  if (at(6) !== EV_CURRENT) {
    fail('bad-version', 'unknown ELF identification version', {
      field: 'e_ident[EI_VERSION]',
      offset: 6,
      expected: EV_CURRENT,
      actual: at(6),
    });
  }

  const reader = new ElfReader(input, data === ELFDATA2LSB, object);
  reader.need(0, RecordSize.HEADER, 'the ELF64 header');
  // A source that shrank after its size was taken can return less than the header.
  if (bytes.byteLength < RecordSize.HEADER) reader.truncated(0, RecordSize.HEADER, 'the ELF64 header');
  const region = new FileRegion(reader, 0, bytes);
  const view = region.view;
  const header: ElfHeader = {
    byteOrder: data === ELFDATA2LSB ? 'little' : 'big',
    osAbi: at(7),
    abiVersion: at(8),
    type: view.u16(16),
    machine: view.u16(18),
    version: view.u32(20),
    entry: view.u64(24),
    programHeaderOffset: region.u64(32, 'e_phoff'),
    sectionHeaderOffset: region.u64(40, 'e_shoff'),
    flags: view.u32(48),
    programHeaderEntrySize: view.u16(54),
    programHeaderCount: view.u16(56),
    sectionHeaderEntrySize: view.u16(58),
    rawSectionCount: view.u16(60),
    rawSectionNameIndex: view.u16(62),
  };
  const hasSections = header.sectionHeaderOffset !== 0 || header.rawSectionCount !== 0;
  if (hasSections && header.sectionHeaderEntrySize !== RecordSize.SECTION_HEADER) {
    reader.fail('bad-entsize', 'section header entries must be 64 bytes in ELF64', {
      field: 'e_shentsize',
      offset: 58,
      expected: RecordSize.SECTION_HEADER,
      actual: header.sectionHeaderEntrySize,
    });
  }
  if (header.rawSectionCount !== 0 && header.sectionHeaderOffset === 0) {
    reader.fail('out-of-bounds', 'sections are counted but the section header table offset is 0', {
      field: 'e_shoff',
      offset: 40,
      expected: 'a non-zero offset',
      actual: 0,
    });
  }
  if (header.rawSectionNameIndex === SectionIndex.XINDEX && !hasSections) {
    reader.fail('bad-index', 'e_shstrndx is SHN_XINDEX but there is no section 0 to hold it', {
      field: 'e_shstrndx',
      offset: 62,
    });
  }
  return { header, reader };
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}
