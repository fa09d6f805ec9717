import type { ElfFile } from '@bpfkit/elf';
import { type BtfExt, parseBtfExt } from './ext.js';
import { type Btf, parseBtf } from './spec.js';

/** The BTF of an ELF object: `.BTF`, and `.BTF.ext` when present. */
export interface ObjectBtf {
  /** The parsed `.BTF` section. */
  readonly btf: Btf;
  /** The parsed `.BTF.ext` section, if the object has one. */
  readonly ext: BtfExt | undefined;
}

/**
 * Reads `.BTF` and `.BTF.ext` out of a parsed ELF object; `undefined` when it has no `.BTF`.
 * @throws {@link BtfError} for malformed BTF, naming the object.
 */
export function readObjectBtf(elf: ElfFile): ObjectBtf | undefined {
  const section = elf.sectionByName('.BTF');
  if (section === undefined) return undefined;
  const btf = parseBtf(section.data, elf.name === undefined ? {} : { name: elf.name });
  const extSection = elf.sectionByName('.BTF.ext');
  return { btf, ext: extSection === undefined ? undefined : parseBtfExt(extSection.data, btf) };
}
