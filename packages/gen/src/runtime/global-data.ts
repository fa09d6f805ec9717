import { GenError } from '../errors.js';

/** What {@link initialData} needs of a map spec (`@bpfkit/maps`' `MapSpec` has it). */
export interface DataSpec {
  /** The ELF section (`.data`, `.rodata`, `.bss`, or a named one). */
  readonly section: string;
  /** The object's name, for errors. */
  readonly source: string;
  /** The section's bytes before load (undefined for `.bss`). */
  readonly initialData: Uint8Array | undefined;
}

/**
 * The initial bytes of the global-data map of `section` (what the loader writes into the map
 * at load), for a skeleton's variables to be set in between open and load.
 * @throws {@link GenError} `bad-object` when the object has no such section.
 */
export function initialData(specs: readonly DataSpec[], section: string): Uint8Array {
  const bytes = specs.find((s) => s.source === 'data' && s.section === section)?.initialData;
  if (bytes === undefined)
    throw new GenError('bad-object', `the object has no ${section} section to set values in`, { field: section });
  return bytes;
}

/** What {@link frozenCopy} needs of a loaded map (`@bpfkit/loader`'s `BpfMap` has it). */
export interface LookupMap {
  /** Value size in bytes. */
  readonly valueSize: number;
  /** The value at `key`, or undefined when there is none. */
  lookup(key: Uint8Array): Uint8Array | undefined;
}

/** The single value of a frozen global-data map (`.rodata` after load), read once: it cannot change. */
export function frozenCopy(map: LookupMap): Uint8Array {
  return map.lookup(new Uint8Array(4)) ?? new Uint8Array(map.valueSize);
}
