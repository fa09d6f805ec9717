import { type Btf, type BtfType, readObjectBtf } from '@bpfkit/btf';
import { parseElf } from '@bpfkit/elf';
import { describeObject, type ObjectDescription } from '../../../packages/cli/src/describe-object.js';
import { type ProgramListing, programListings } from '../../../packages/cli/src/program-listing.js';

/** What the page shows about an object: the CLI's `inspect` description, its BTF and the disassembly. */
export interface Report {
  readonly description: ObjectDescription;
  /** The object's BTF, for drilling into types; undefined without a `.BTF` section. */
  readonly btf: Btf | undefined;
  /** Named types, in id order. */
  readonly types: readonly BtfType[];
  /**
   * A program as `bpfkit disasm` prints it, worked out on first use (planning every program
   * of a big object takes a while); undefined when the maps do not resolve.
   */
  readonly listing: (program: string) => ProgramListing | undefined;
}

/** Parses and resolves an object the way `bpfkit inspect` does, without loading it; pure packages only. */
export function inspectObject(bytes: Uint8Array, name: string): Report {
  const description = describeObject(bytes, name);
  const file = parseElf(bytes, { name });
  const btf = readObjectBtf(file)?.btf;
  let listings: readonly ProgramListing[] | undefined;
  const listing = (program: string) => {
    try {
      listings ??= programListings(file);
    } catch {
      // The problems list already says why (a map definition the loader refuses).
      listings = [];
    }
    return listings.find((l) => l.name === program);
  };
  const types = btf === undefined ? [] : btf.decodeAll().filter((t) => t.name !== '');
  return { description, btf, types, listing };
}
