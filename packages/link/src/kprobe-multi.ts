import { createLink, isLittleEndianHost, linkCreateAttr, nativeBuffer } from '@bpfkit/syscall';
import { kernelStep, LinkError } from './errors.js';
import { globMatcher } from './glob.js';
import { Link } from './link.js';
import { tracefsRoot } from './tracefs.js';
import { U64Scratch } from './u64-scratch.js';

const { readFileSync } = process.getBuiltinModule('node:fs');

/** `BPF_TRACE_KPROBE_MULTI`. */
const ATTACH_KPROBE_MULTI = 42;
/** `BPF_F_KPROBE_MULTI_RETURN`. */
const F_RETURN = 1;

/** Options for {@link attachKprobeMulti}: where to probe (one of `pattern`, `symbols`) and how. */
export interface KprobeMultiOptions {
  /** A glob over the kernel's traceable functions (`available_filter_functions`), as `kprobe.multi/<glob>`. */
  readonly pattern?: string;
  /** Kernel function names. */
  readonly symbols?: readonly string[];
  /** One cookie per function, in the order of `symbols` (or of the matches). */
  readonly cookies?: readonly bigint[];
  /** Probe returns (`kretprobe.multi`). */
  readonly retprobe?: boolean;
}

/** The lines of `path`, or `undefined` when it cannot be read (missing, or refused as tracefs may refuse it). */
function readLines(path: string): string[] | undefined {
  try {
    return readFileSync(path, 'utf8').split('\n');
  } catch {
    return undefined;
  }
}

/** The text symbols of `/proc/kallsyms` whose names pass `test`, one per line, in file order. */
function kallsymsMatches(test: (name: string) => boolean, pattern: string): { name: string; address: bigint }[] {
  const lines = readLines('/proc/kallsyms');
  if (lines === undefined) {
    throw new LinkError('not-supported', 'neither available_filter_functions nor /proc/kallsyms can be read', {
      kind: 'kprobe.multi',
      target: pattern,
    });
  }
  const found: { name: string; address: bigint }[] = [];
  for (const line of lines) {
    const [address, type, name] = line.split(/\s+/, 3);
    if ((type === 't' || type === 'T') && name !== undefined && test(name)) {
      found.push({ name, address: BigInt(`0x${address}`) });
    }
  }
  return found;
}

/** The names in tracefs `available_filter_functions` that pass `test` (module suffixes dropped), or undefined when it cannot be read. */
function filterFunctionMatches(test: (name: string) => boolean): string[] | undefined {
  const lines = readLines(`${tracefsRoot('kprobe.multi globs')}/available_filter_functions`);
  if (lines === undefined) return undefined;
  const found = new Set<string>();
  for (const line of lines) {
    const name = line.split(' ')[0] as string;
    if (name !== '' && test(name)) found.add(name);
  }
  return [...found];
}

/**
 * The kernel functions matching glob `pattern`, in file order, each once: the traceable
 * ones from tracefs `available_filter_functions` (module suffixes dropped), or, where that
 * cannot be read, the text symbols of `/proc/kallsyms` (as libbpf 1.1 does).
 * @throws {@link LinkError} `not-supported` when neither can be read.
 */
export function traceableFunctions(pattern: string): string[] {
  const test = globMatcher(pattern);
  return filterFunctionMatches(test) ?? [...new Set(kallsymsMatches(test, pattern).map((f) => f.name))];
}

/**
 * What a kprobe.multi link on glob `pattern` names, as libbpf sends it: the names from
 * `available_filter_functions`, or, where that cannot be read, the addresses of the
 * matching `/proc/kallsyms` lines (names again where kallsyms hides addresses).
 */
function patternTargets(pattern: string): { symbols: string[] } | { addresses: bigint[] } {
  const test = globMatcher(pattern);
  const filtered = filterFunctionMatches(test);
  if (filtered !== undefined) return { symbols: filtered };
  const matches = kallsymsMatches(test, pattern);
  return matches.some((m) => m.address !== 0n)
    ? { addresses: matches.map((m) => m.address) }
    : { symbols: [...new Set(matches.map((m) => m.name))] };
}

/**
 * Attaches a `kprobe.multi` program to many kernel functions through one link
 * (BPF_LINK_CREATE with `BPF_TRACE_KPROBE_MULTI`, Linux 5.18+, built on fprobes): the
 * functions a glob matches, or named ones, each with its own cookie.
 * @throws {@link LinkError} `not-found` when nothing matches, `bad-target` when cookies do
 * not pair up, `not-supported` on kernels without fprobes (EOPNOTSUPP), `kernel` when refused.
 */
export function attachKprobeMulti(programFd: number, options: KprobeMultiOptions): Link {
  const retprobe = options.retprobe ?? false;
  const kind = retprobe ? 'kretprobe.multi' : 'kprobe.multi';
  const context = { kind, target: options.pattern ?? options.symbols?.join(',') ?? '' };
  const targets =
    options.pattern !== undefined ? patternTargets(options.pattern) : { symbols: [...(options.symbols ?? [])] };
  const symbols = 'symbols' in targets ? targets.symbols : [];
  const count = 'symbols' in targets ? symbols.length : targets.addresses.length;
  if (count === 0) throw new LinkError('not-found', 'no kernel function to probe', context);
  if (options.cookies !== undefined && options.cookies.length !== count) {
    throw new LinkError('bad-target', `${options.cookies.length} cookies for ${count} functions`, context);
  }
  // The names, NUL-terminated one after another, and an array of pointers into them.
  const encoded = symbols.map((name) => new TextEncoder().encode(`${name}\0`));
  const names = nativeBuffer(encoded.reduce((n, e) => n + e.length, 0));
  const starts: number[] = [];
  encoded.reduce((at, bytes) => {
    names.set(bytes, at);
    starts.push(at);
    return at + bytes.length;
  }, 0);
  const pointers = nativeBuffer(symbols.length * 8);
  const cookies = options.cookies === undefined ? undefined : new U64Scratch().fill(options.cookies);
  const fd = kernelStep('create the kprobe_multi link', context, () =>
    createLink({
      programFd,
      target: 0,
      attachType: ATTACH_KPROBE_MULTI,
      fill: (attr) => {
        if (symbols.length > 0) {
          // The names' address, learnt by pointing a field at them (which also keeps them alive for the call).
          const base = attr.pointer(linkCreateAttr.kprobe_multi.syms, names).readU64(linkCreateAttr.kprobe_multi.syms);
          const view = new DataView(pointers.buffer);
          starts.forEach((at, i) => {
            view.setBigUint64(i * 8, base + BigInt(at), isLittleEndianHost);
          });
          attr.pointer(linkCreateAttr.kprobe_multi.syms, pointers);
        } else if ('addresses' in targets) {
          attr.pointer(linkCreateAttr.kprobe_multi.addrs, new U64Scratch().fill(targets.addresses));
        }
        attr
          .u32(linkCreateAttr.kprobe_multi.flags, retprobe ? F_RETURN : 0)
          .u32(linkCreateAttr.kprobe_multi.cnt, count)
          .pointer(linkCreateAttr.kprobe_multi.cookies, cookies);
      },
    }),
  );
  return new Link(kind, fd);
}
