/**
 * Writes small ELF64 files for tests: the sections and symbols a test names, in either
 * byte order, so malformed and unusual layouts can be made exactly.
 */
export interface SectionSpec {
  name: string;
  type: number;
  flags?: number;
  data?: Uint8Array;
  /** Size for SHT_NOBITS sections (no data in the file). */
  size?: number;
  link?: number;
  info?: number;
  align?: number;
  entsize?: number;
}

export interface ElfSpec {
  littleEndian?: boolean;
  machine?: number;
  /** Sections after the null section; `.shstrtab` is appended unless `noNames`. */
  sections: SectionSpec[];
  /** Write e_shnum = 0 and the count into section 0's sh_size. */
  extendedCount?: boolean;
  /** Write e_shstrndx = SHN_XINDEX and the index into section 0's sh_link. */
  extendedNameIndex?: boolean;
}

export interface WrittenElf {
  bytes: Uint8Array;
  /** Byte offset of the section header table. */
  shoff: number;
  /** Index of `.shstrtab`. */
  shstrndx: number;
}

/** Serialises `spec` into an ELF64 relocatable file. */
export function writeElf(spec: ElfSpec): WrittenElf {
  const le = spec.littleEndian ?? true;
  const names = new StringTableWriter();
  const sections = [...spec.sections, { name: '.shstrtab', type: 3 }];
  const nameOffsets = sections.map((s) => names.add(s.name));
  const shstrndx = sections.length; // index counting the null section
  const shstrtab = names.finish();
  (sections[sections.length - 1] as SectionSpec).data = shstrtab;

  let offset = 64;
  const placed = sections.map((s) => {
    const align = Math.max(1, s.align ?? 8);
    offset = Math.ceil(offset / align) * align;
    const at = offset;
    if (s.type !== 8) offset += s.data?.length ?? 0;
    return at;
  });
  const shoff = Math.ceil(offset / 8) * 8;
  const count = sections.length + 1;
  const bytes = new Uint8Array(shoff + count * 64);
  const view = new DataView(bytes.buffer);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, 2, le ? 1 : 2, 1], 0);
  view.setUint16(16, 1, le);
  view.setUint16(18, spec.machine ?? 247, le);
  view.setUint32(20, 1, le);
  view.setBigUint64(40, BigInt(shoff), le);
  view.setUint16(52, 64, le);
  view.setUint16(58, 64, le);
  view.setUint16(60, spec.extendedCount ? 0 : count, le);
  view.setUint16(62, spec.extendedNameIndex ? 0xffff : shstrndx, le);
  if (spec.extendedCount) view.setBigUint64(shoff + 32, BigInt(count), le);
  if (spec.extendedNameIndex) view.setUint32(shoff + 40, shstrndx, le);

  sections.forEach((s, i) => {
    const at = shoff + (i + 1) * 64;
    const data = s.data ?? new Uint8Array(0);
    if (s.type !== 8) bytes.set(data, placed[i] as number);
    view.setUint32(at, nameOffsets[i] as number, le);
    view.setUint32(at + 4, s.type, le);
    view.setBigUint64(at + 8, BigInt(s.flags ?? 0), le);
    view.setBigUint64(at + 24, BigInt(placed[i] as number), le);
    view.setBigUint64(at + 32, BigInt(s.type === 8 ? (s.size ?? 0) : data.length), le);
    view.setUint32(at + 40, s.link ?? 0, le);
    view.setUint32(at + 44, s.info ?? 0, le);
    view.setBigUint64(at + 48, BigInt(s.align ?? 8), le);
    view.setBigUint64(at + 56, BigInt(s.entsize ?? 0), le);
  });
  return { bytes, shoff, shstrndx };
}

/** Builds a NUL-separated string table; offset 0 is the empty string. */
export class StringTableWriter {
  private readonly parts: number[] = [0];

  add(text: string): number {
    if (text === '') return 0;
    const at = this.parts.length;
    for (const ch of new TextEncoder().encode(text)) this.parts.push(ch);
    this.parts.push(0);
    return at;
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

export interface SymbolSpec {
  name: number;
  info?: number;
  other?: number;
  shndx: number;
  value?: number;
  size?: number;
}

/** Encodes symbol table entries (24 bytes each), including the null symbol first. */
export function symbolBytes(symbols: SymbolSpec[], littleEndian = true): Uint8Array {
  const all = [{ name: 0, shndx: 0 }, ...symbols];
  const bytes = new Uint8Array(all.length * 24);
  const view = new DataView(bytes.buffer);
  all.forEach((s, i) => {
    const at = i * 24;
    view.setUint32(at, s.name, littleEndian);
    bytes[at + 4] = s.info ?? 0;
    bytes[at + 5] = s.other ?? 0;
    view.setUint16(at + 6, s.shndx, littleEndian);
    view.setBigUint64(at + 8, BigInt(s.value ?? 0), littleEndian);
    view.setBigUint64(at + 16, BigInt(s.size ?? 0), littleEndian);
  });
  return bytes;
}

/** Encodes REL entries (16 bytes each). */
export function relBytes(entries: { offset: number; symbol: number; type: number }[], littleEndian = true): Uint8Array {
  const bytes = new Uint8Array(entries.length * 16);
  const view = new DataView(bytes.buffer);
  entries.forEach((e, i) => {
    view.setBigUint64(i * 16, BigInt(e.offset), littleEndian);
    view.setBigUint64(i * 16 + 8, (BigInt(e.symbol) << 32n) | BigInt(e.type), littleEndian);
  });
  return bytes;
}
