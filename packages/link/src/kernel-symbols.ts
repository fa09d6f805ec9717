import { LinkError } from './errors.js';
import { lastAtOrBefore } from './sorted-search.js';

const { readFileSync } = process.getBuiltinModule('node:fs');

/** A symbol an address falls in, and how far past its start. */
export interface SymbolAt {
  /** The symbol's name. */
  readonly name: string;
  /** Bytes from the symbol's start to the address. */
  readonly offset: number;
  /** The kernel module holding it (kernel symbols), or the file (user symbols). */
  readonly module?: string;
}

/** Where the kernel lists its symbols. */
export const KALLSYMS_PATH = '/proc/kallsyms';

/**
 * The kernel's symbols (`/proc/kallsyms`), sorted by address once, for turning kernel stack
 * addresses (`bpf_get_stackid`, `bpf_get_stack`) into `function+offset`, modules included
 * (`name [module]`). Built from the file's text with {@link KernelSymbols.parse}, or read
 * with {@link KernelSymbols.read}.
 */
export class KernelSymbols {
  private constructor(
    private readonly addresses: BigUint64Array,
    private readonly names: readonly string[],
    private readonly modules: readonly (string | undefined)[],
  ) {}

  /**
   * Parses kallsyms text (`ffffffff81000000 T _stext`, `… t name\t[module]`), keeping
   * symbols with an address; lines that are not symbols are skipped.
   */
  static parse(text: string): KernelSymbols {
    const entries: { address: bigint; name: string; module: string | undefined }[] = [];
    for (const line of text.split('\n')) {
      const match = /^([0-9a-f]{1,16}) [A-Za-z] (\S+)(?:\s+\[(\S+)\])?$/.exec(line);
      if (match === null) continue;
      const address = BigInt(`0x${match[1]}`);
      if (address === 0n) continue;
      entries.push({ address, name: match[2] as string, module: match[3] });
    }
    entries.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
    return new KernelSymbols(
      BigUint64Array.from(entries, (e) => e.address),
      entries.map((e) => e.name),
      entries.map((e) => e.module),
    );
  }

  /**
   * Reads and parses `/proc/kallsyms` (or `path`).
   * @throws {@link LinkError} `not-found` when the file cannot be read, `not-supported` when
   * every address reads 0 (`kernel.kptr_restrict`, or no CAP_SYSLOG).
   */
  static read(path = KALLSYMS_PATH): KernelSymbols {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new LinkError('not-found', `cannot read '${path}'`, { kind: 'kallsyms', path }, undefined, {
        cause: error,
      });
    }
    const symbols = KernelSymbols.parse(text);
    if (symbols.size === 0) {
      throw new LinkError(
        'not-supported',
        `'${path}' shows no symbol addresses`,
        { kind: 'kallsyms', path },
        'run as root with CAP_SYSLOG, or lower kernel.kptr_restrict',
      );
    }
    return symbols;
  }

  /** How many symbols have an address. */
  get size(): number {
    return this.addresses.length;
  }

  /** The address of the first symbol called `name` (in `module`, if given), or `undefined`. */
  address(name: string, module?: string): bigint | undefined {
    const index = this.names.findIndex((n, i) => n === name && (module === undefined || this.modules[i] === module));
    return index < 0 ? undefined : this.addresses[index];
  }

  /**
   * The symbol `address` falls in: the last one starting at or before it (binary search),
   * with the offset past its start; `undefined` below the first symbol.
   */
  lookup(address: bigint): SymbolAt | undefined {
    const addresses = this.addresses;
    const index = lastAtOrBefore(addresses.length, (i) => (addresses[i] as bigint) <= address);
    if (index < 0) return undefined;
    const module = this.modules[index];
    return {
      name: this.names[index] as string,
      offset: Number(address - (this.addresses[index] as bigint)),
      ...(module === undefined ? {} : { module }),
    };
  }
}
