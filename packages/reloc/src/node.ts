/**
 * Node-only facts about the running kernel that relocation needs: its `.config` (from
 * `/boot/config-$(uname -r)` or `/proc/config.gz`) and release, read once per process.
 *
 * @module @bpfkit/reloc/node
 */
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { type KernelFacts, parseKernelConfig } from './kconfig.js';

let cached: KernelFacts | undefined;

/**
 * The running kernel's release and config values, cached. An empty config when neither
 * file exists (then only weak `.kconfig` externs and computed values resolve).
 */
export function kernelFacts(): KernelFacts {
  if (cached === undefined) {
    const boot = `/boot/config-${release()}`;
    let text = '';
    if (existsSync(boot)) text = readFileSync(boot, 'utf8');
    else if (existsSync('/proc/config.gz')) text = gunzipSync(readFileSync('/proc/config.gz')).toString('utf8');
    cached = { release: release(), config: parseKernelConfig(text) };
  }
  return cached;
}

let symbols: Map<string, bigint> | undefined;

/**
 * Address of a kernel symbol from `/proc/kallsyms` (read once per process; the first entry
 * wins when a name repeats), or `undefined`. Addresses read as 0 without root, as the kernel
 * hides them; such symbols count as absent.
 */
export function kernelSymbolAddress(name: string, path = '/proc/kallsyms'): bigint | undefined {
  if (symbols === undefined) {
    symbols = new Map();
    const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
    for (const line of text.split('\n')) {
      const [address, , symbol] = line.split(/\s+/, 3);
      if (address && symbol && !symbols.has(symbol)) symbols.set(symbol, BigInt(`0x${address}`));
    }
  }
  const address = symbols.get(name);
  return address === 0n ? undefined : address;
}
