import type { ElfFile } from '@bpfkit/elf';
import { patchRecords, reencode } from './encode.js';
import {
  allBtfFeatures,
  type BtfFeatures,
  type DatasecFixup,
  datasecFixup,
  fixupDatasecs,
  fixupKsyms,
  hasEveryBtfFeature,
  placeDatasecVariables,
  sanitizeBtf,
} from './fixups.js';
import { hiddenSubprograms, staticHiddenSubprograms } from './hidden-funcs.js';
import { type Btf, parseBtf } from './spec.js';

/** Where a `.kconfig` variable lives in the kconfig map's value (what `@bpfkit/maps` lays out). */
export interface KconfigPlacement {
  /** The variable's name. */
  readonly name: string;
  /** Its byte offset in the value. */
  readonly offset: number;
  /** Its size in bytes. */
  readonly size: number;
}

/** What {@link prepareObjectBtf} needs from outside the object. */
export interface ObjectBtfFacts {
  /** The `.kconfig` map's layout: its variables and value size (from the object's kconfig `MapSpec`). */
  readonly kconfig?: {
    /** Each `.kconfig` variable's offset and size in the map's value. */
    readonly placements: readonly KconfigPlacement[];
    /** The map's value size: the DATASEC's size. */
    readonly size: number;
  };
  /** What the target kernel's BTF loader understands (`btfFeatures()` of `@bpfkit/syscall`); all by default. */
  readonly features?: BtfFeatures;
  /** The object's DATASEC fix-up, `datasecFixup(btf, elf)`, when its open made one; computed when not given. */
  readonly datasecFixup?: DatasecFixup;
}

/** An object's BTF made ready for the kernel by {@link prepareObjectBtf}. */
export interface PreparedObjectBtf {
  /** The fixed-up BTF: what the kernel gets before sanitising. */
  readonly bytes: Uint8Array;
  /**
   * {@link PreparedObjectBtf.bytes} parsed (on the first call, then kept): map values, DATASEC sizes and
   * offsets included, decode through it with the ids maps were created with.
   */
  parse(): Btf;
  /** What to send to `BPF_BTF_LOAD`: `bytes`, or (same ids) with kinds the kernel lacks rewritten. */
  readonly sent: Uint8Array;
  /** Types rewritten into kinds the kernel knows (0: `sent` is `bytes`). */
  readonly rewritten: number;
}

/**
 * Prepares an object's BTF for loading, as libbpf does between open and `BPF_BTF_LOAD`:
 * DATASECs sized and their variables placed from the ELF ({@link fixupDatasecs}), `.kconfig`
 * variables placed where the kconfig map holds them, `.ksyms` made acceptable
 * ({@link fixupKsyms}), hidden subprograms made static, then encoded (and parsed on demand); a copy
 * for the target kernel has kinds it lacks rewritten ({@link sanitizeBtf}). Pure: the
 * kernel's facts come in `facts`.
 * @throws BtfError `bad-fixup` (from {@link fixupDatasecs}) naming the DATASEC and variable that cannot be placed.
 */
export function prepareObjectBtf(btf: Btf, elf: ElfFile, facts: ObjectBtfFacts = {}): PreparedObjectBtf {
  const fixup = facts.datasecFixup ?? datasecFixup(btf, elf);
  const features = facts.features ?? allBtfFeatures;
  // Found through the BTF's kind table: a scan of the decoded list reads every type's kind.
  const ksyms = hasDatasec(btf, '.ksyms');
  // Only DATASECs and their variables change (the common case): their records are written
  // over a copy of the blob, the bytes re-encoding every type would give.
  const onlyDatasecs =
    facts.kconfig === undefined && !ksyms && hiddenSubprograms(elf).length === 0 && hasEveryBtfFeature(features);
  const patched = onlyDatasecs ? patchRecords(btf, fixup.replaced) : undefined;
  if (patched !== undefined) return { bytes: patched, parse: parser(patched, btf), sent: patched, rewritten: 0 };
  const types = fixupDatasecs(btf, elf, fixup);
  if (facts.kconfig !== undefined)
    placeDatasecVariables(types, '.kconfig', facts.kconfig.placements, facts.kconfig.size);
  if (ksyms) fixupKsyms(types);
  staticHiddenSubprograms(types, elf);
  const bytes = reencode(types, btf);
  const parse = parser(bytes, btf);
  if (hasEveryBtfFeature(features)) return { bytes, parse, sent: bytes, rewritten: 0 };
  const sanitized = sanitizeBtf(types, features);
  let rewritten = 0;
  for (let i = 0; i < sanitized.length; i++) if (sanitized[i] !== types[i]) rewritten++;
  return { bytes, parse, sent: rewritten > 0 ? reencode(sanitized, btf) : bytes, rewritten };
}

/** A function parsing `bytes` (named as `btf`) on its first call, then returning that parse. */
function parser(bytes: Uint8Array, btf: Btf): () => Btf {
  let parsed: Btf | undefined;
  return () => {
    parsed ??= parseBtf(bytes, btf.name === undefined ? {} : { name: btf.name });
    return parsed;
  };
}

/** Whether `btf` has a DATASEC called `name`. */
function hasDatasec(btf: Btf, name: string): boolean {
  for (const datasec of btf.types('datasec')) if (datasec.name === name) return true;
  return false;
}
