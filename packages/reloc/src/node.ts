/**
 * Node-only facts about the running kernel that relocation needs: its `.config` (from
 * `/boot/config-$(uname -r)` or `/proc/config.gz`), release and version code, read once per process.
 *
 * @module @bpfkit/reloc/node
 */
import { type KernelFacts, linuxVersionCode, parseKernelConfig } from '@bpfkit/reloc';

const { existsSync, readFileSync } = process.getBuiltinModule('node:fs');
const { createRequire } = process.getBuiltinModule('node:module');
const { release, version } = process.getBuiltinModule('node:os');

let versionCode: number | undefined;

/** The running kernel's `LINUX_VERSION_CODE` as libbpf computes it (a program's default `kern_version`), cached. */
export function runningVersionCode(): number {
  if (versionCode === undefined) {
    const signature = '/proc/version_signature';
    const ubuntuSignature = existsSync(signature) ? readFileSync(signature, 'utf8') : undefined;
    versionCode = linuxVersionCode({
      release: release(),
      version: version(),
      ...(ubuntuSignature === undefined ? {} : { ubuntuSignature }),
    });
  }
  return versionCode;
}

let cached: KernelFacts | undefined;

/**
 * `zlib.gunzipSync`, loaded on first use rather than imported: only kernels without
 * `/boot/config-*` need it, and loading `node:zlib` costs a fresh process milliseconds.
 */
function gunzip(bytes: Uint8Array): Buffer {
  const zlib = createRequire(import.meta.url)('node:zlib') as typeof import('node:zlib');
  return zlib.gunzipSync(bytes);
}

/**
 * The running kernel's release, `LINUX_VERSION_CODE` and config values, cached. An empty
 * config when neither file exists (then only weak `.kconfig` externs and computed values resolve).
 */
export function kernelFacts(): KernelFacts {
  if (cached === undefined) {
    const boot = `/boot/config-${release()}`;
    let text = '';
    if (existsSync(boot)) text = readFileSync(boot, 'utf8');
    else if (existsSync('/proc/config.gz')) text = gunzip(readFileSync('/proc/config.gz')).toString('utf8');
    cached = { release: release(), config: parseKernelConfig(text), versionCode: runningVersionCode() };
  }
  return cached;
}

/** What `/proc/kallsyms` shows the reading process. */
export interface KernelSymbols {
  /** Address of each symbol (the first entry wins when a name repeats). */
  readonly addresses: Map<string, bigint>;
  /**
   * True when symbols are listed but every address is 0: the kernel hides them from this
   * user (`kernel.kptr_restrict`, no CAP_SYSLOG, `kernel.perf_event_paranoid` above 1).
   */
  readonly hidden: boolean;
}

/** Parses the text of `/proc/kallsyms`. */
export function parseKallsyms(text: string): KernelSymbols {
  const addresses = new Map<string, bigint>();
  let anyAddress = false;
  for (const line of text.split('\n')) {
    const [address, , symbol] = line.split(/\s+/, 3);
    if (!address || !symbol || addresses.has(symbol)) continue;
    const value = BigInt(`0x${address}`);
    anyAddress ||= value !== 0n;
    addresses.set(symbol, value);
  }
  return { addresses, hidden: addresses.size > 0 && !anyAddress };
}

let symbols: KernelSymbols | undefined;

function kernelSymbols(path: string): KernelSymbols {
  symbols ??= parseKallsyms(existsSync(path) ? readFileSync(path, 'utf8') : '');
  return symbols;
}

/**
 * Address of a kernel symbol from `/proc/kallsyms` (read once per process; the first entry
 * wins when a name repeats), or `undefined`. Addresses read as 0 without root, as the kernel
 * hides them; such symbols count as absent ({@link kernelSymbolAddressesHidden} says so).
 */
export function kernelSymbolAddress(name: string, path = '/proc/kallsyms'): bigint | undefined {
  const address = kernelSymbols(path).addresses.get(name);
  return address === 0n ? undefined : address;
}

/** True when `/proc/kallsyms` shows this process only zero addresses (see {@link KernelSymbols}). */
export function kernelSymbolAddressesHidden(path = '/proc/kallsyms'): boolean {
  return kernelSymbols(path).hidden;
}

let kprobes: boolean | undefined;

/**
 * Whether the kernel can make kprobes: a `kprobe` PMU, or tracefs `kprobe_events` (the
 * legacy interface). Looked up once per process, as the kernel's config is.
 */
export function kprobesAvailable(): boolean {
  kprobes ??= [
    '/sys/bus/event_source/devices/kprobe/type',
    '/sys/kernel/tracing/kprobe_events',
    '/sys/kernel/debug/tracing/kprobe_events',
  ].some((path) => existsSync(path));
  return kprobes;
}
