/**
 * The parser entry points the fuzzer drives, each fed bytes derived from one fixture. A
 * target may throw only the typed error of its stage; anything else is a finding.
 */
import { BtfError, parseBtf, parseBtfExt } from '@bpfkit/btf';
import { readKernelBtf } from '@bpfkit/btf/node';
import { ElfError, type ElfFile, parseElf } from '@bpfkit/elf';
import { allFixtures, readFixture } from '@bpfkit/fixtures';
import { BpfObject, LoadError } from '@bpfkit/loader';
import { MapError, resolveMaps } from '@bpfkit/maps';
import { linkPlan, planPrograms, RelocError } from '@bpfkit/reloc';

/** One fuzzed entry point. */
export interface FuzzTarget {
  /** Short name used on the command line and in reports. */
  readonly name: string;
  /** Seed inputs: the bytes this target starts mutating from, one per fixture. */
  readonly seeds: readonly Uint8Array[];
  /** Runs the entry point on `input`, mutated from `seeds[seed]`, and touches everything it produced. */
  run(input: Uint8Array, seed: number): void;
}

/** Errors the toolkit throws on purpose for bad input. */
export const typedErrors = [ElfError, BtfError, MapError, RelocError, LoadError] as const;

/** True when `error` is one of {@link typedErrors}. */
export function isTypedError(error: unknown): boolean {
  return typedErrors.some((type) => error instanceof type);
}

const objects = allFixtures().map((f) => readFixture(f.name, f.order));
/**
 * Loaded, and indexed by one CO-RE resolution, up front: its one-time cost and cache stay out of
 * the per-input time and heap figures.
 */
const kernelBtf = readKernelBtf();
BpfObject.open(readFixture('core'), { kernelBtf }).relocateCore();

/** Decodes every section, symbol and relocation of an ELF file (parsing is lazy otherwise). */
function walkElf(elf: ElfFile): void {
  for (const section of elf.sections) void section.data.length;
  void elf.symbols.length;
  for (const relocations of elf.relocationSections) void relocations.entries.length;
}

function sectionOf(bytes: Uint8Array, name: string): Uint8Array | undefined {
  return parseElf(bytes).sectionByName(name)?.data.slice();
}

const btfSeeds = objects.flatMap((o) => sectionOf(o, '.BTF') ?? []);
const extSeeds = objects.flatMap((o) => {
  const btf = sectionOf(o, '.BTF');
  const ext = sectionOf(o, '.BTF.ext');
  return btf && ext ? [{ btf: parseBtf(btf), ext }] : [];
});

/** Every target, in pipeline order. */
export const targets: readonly FuzzTarget[] = [
  {
    name: 'elf',
    seeds: objects,
    run: (input) => walkElf(parseElf(input)),
  },
  {
    name: 'btf',
    seeds: btfSeeds,
    run(input) {
      const btf = parseBtf(input);
      for (let id = 1; id < btf.typeCount; id++) btf.type(id);
      // The whole-blob path checks in one pass; it must accept what the lookups above did.
      try {
        parseBtf(input).decodeAll();
      } catch (error) {
        throw new Error(`decodeAll refused a blob every type() accepted: ${String(error)}`);
      }
    },
  },
  {
    name: 'btf-ext',
    seeds: extSeeds.map((s) => s.ext),
    // Each .BTF.ext is read against the (intact) BTF of the object it came from.
    run(input, seed) {
      const { btf } = extSeeds[seed] as (typeof extSeeds)[number];
      const ext = parseBtfExt(input, btf);
      for (const records of ext.coreRelos.values()) void records.length;
    },
  },
  {
    name: 'maps',
    seeds: objects,
    run(input) {
      const elf = parseElf(input, { name: 'fuzz.o' });
      const btfSection = elf.sectionByName('.BTF');
      resolveMaps(elf, btfSection ? parseBtf(btfSection.data) : undefined, { objectName: 'fuzz' });
    },
  },
  {
    name: 'reloc',
    seeds: objects,
    run(input) {
      const elf = parseElf(input, { name: 'fuzz.o' });
      const btfSection = elf.sectionByName('.BTF');
      const btf = btfSection ? parseBtf(btfSection.data) : undefined;
      // Programs link on first need: link each here, as a load links those it loads.
      for (const plan of planPrograms(elf, resolveMaps(elf, btf, { objectName: 'fuzz' }))) linkPlan(plan);
    },
  },
  {
    name: 'open',
    seeds: objects,
    run(input) {
      const object = BpfObject.open(input, { objectName: 'fuzz', kernelBtf });
      void object.plan;
      // CO-RE is resolved at load; the check load runs first needs no kernel call.
      object.relocateCore();
    },
  },
];
