import type { SdtNote } from '@bpfkit/elf';
import { LinkError, type LinkErrorContext } from './errors.js';
import { Link } from './link.js';
import type { ProbedBinary } from './probed-binary.js';
import { mappedAddresses } from './process-mappings.js';
import { attachUprobe } from './uprobe.js';
import { createUprobeMultiLink } from './uprobe-multi.js';
import { parseUsdtArgs, type UsdtArgSpec } from './usdt-args.js';
import { openUsdtMaps, type UsdtMaps, type UsdtSpecMaps } from './usdt-spec-maps.js';
import { addressFileOffset, openProbedBinary } from './user-symbols.js';

/** Options for {@link attachUsdt}. */
export interface UsdtOptions {
  /** What `bpf_usdt_cookie()` returns in the program. */
  readonly cookie?: bigint;
  /** Only this process (-1 or absent: every process). */
  readonly pid?: number;
  /**
   * Whether the kernel passes BPF cookies (5.15+), which carry each probe's spec id; without
   * them the spec id is found by address in `ipToSpec`, which for a PIE executable or a
   * shared library needs `pid`: the addresses are that process's. Default true.
   */
  readonly cookies?: boolean;
  /**
   * Probe every site through one uprobe.multi link (Linux 6.6+), for programs loaded with
   * `BPF_TRACE_UPROBE_MULTI` as expected attach type; otherwise one uprobe per site.
   */
  readonly multi?: boolean;
}

/** `e_type` of an executable linked at fixed addresses (not PIE). */
const ET_EXEC = 2;

/** Decoded argument strings per binary: sites of a binary are decoded once while it stays unchanged. */
const decodedArgs = new WeakMap<ProbedBinary, Map<string, readonly UsdtArgSpec[]>>();

/** The argument specs of argument string `args` in `binary`, decoded once per binary. */
function argSpecs(binary: ProbedBinary, args: string, context: { kind: string }): readonly UsdtArgSpec[] {
  let decoded = decodedArgs.get(binary);
  if (decoded === undefined) {
    decoded = new Map();
    decodedArgs.set(binary, decoded);
  }
  let specs = decoded.get(args);
  if (specs === undefined) {
    specs = parseUsdtArgs(args, context);
    decoded.set(args, specs);
  }
  return specs;
}

/**
 * Attaches a `usdt` program (written against libbpf's `usdt.bpf.h`) to every site of probe
 * `provider:name` in `binary`: each site's argument specs go into the `specs` map under a
 * spec id, and a uprobe per site (or one uprobe.multi link for all) carries it as BPF
 * cookie (or, without cookies, with the site's address mapped to it in `ipToSpec`); semaphores are
 * raised through `ref_ctr_offset`. Closing the link frees the spec ids and map entries.
 * `maps` from {@link openUsdtMaps} are described once for many calls; plain fds are read at each.
 * @throws {@link LinkError} `not-found` for a binary without the probe, `bad-target` /
 * `not-supported` for argument specs that cannot be decoded, `kernel` when refused.
 * @example
 * ```ts
 * import { attachUsdt } from '@bpfkit/link';
 * import { BpfObject } from '@bpfkit/loader';
 *
 * using obj = BpfObject.open('usdt.bpf.o'); // a program written with libbpf's usdt.bpf.h
 * obj.load();
 * const maps = { specs: obj.map('__bpf_usdt_specs').fd, ipToSpec: obj.map('__bpf_usdt_ip_to_spec_id').fd };
 * using link = attachUsdt(obj.program('on_query').fd, '/usr/bin/myserver', 'myserver', 'query', maps);
 * ```
 */
export function attachUsdt(
  programFd: number,
  binary: string,
  provider: string,
  name: string,
  maps: UsdtMaps,
  options: UsdtOptions = {},
): Link {
  const context = { kind: 'usdt', target: `${binary}:${provider}:${name}` };
  const probed = openProbedBinary(binary, context);
  const path = probed.path;
  const where = { kind: context.kind, target: context.target, path };
  const notes = probed.sdtProbes(provider, name, context);
  if (notes.length === 0) {
    throw new LinkError('not-found', `no USDT probe ${provider}:${name} in '${path}'`, where);
  }
  const cookies = options.cookies ?? true;
  if (!cookies && maps.ipToSpec === undefined) {
    throw new LinkError(
      'bad-target',
      'without BPF cookies, USDT spec ids are found by address, in the ip-to-spec map the object lacks',
      context,
      "build the program with libbpf's usdt.bpf.h, which declares __bpf_usdt_ip_to_spec_id",
    );
  }
  if (!cookies && probed.elf.header.type !== ET_EXEC && (options.pid === undefined || options.pid < 0)) {
    throw new LinkError(
      'not-supported',
      `without BPF cookies, the probe addresses of a PIE executable or shared library are known only in one process`,
      where,
      'give the pid of a process that runs the executable or has loaded the library',
    );
  }
  const specMaps = openUsdtMaps(maps, context);
  const offsets = notes.map((n) => addressFileOffset(probed, n.address, where));
  let semaphores = false;
  const refCtrOffsets = notes.map((n) => {
    if (n.semaphore === 0n) return 0;
    semaphores = true;
    return addressFileOffset(probed, n.semaphore, where);
  });
  const { args, argsOfSite } = distinctArgs(notes);
  const specs = args.map((text) => argSpecs(probed, text, context));
  const ids = specMaps.takeSpecIds(specs.length, context);
  const siteIds = argsOfSite.map((i) => ids[i] as number);
  const ipKeys: Uint8Array[] = [];
  const release = releaseSites(specMaps, ids, ipKeys);
  try {
    specMaps.writeSpecs(ids, specs, options.cookie ?? 0n, context);
    if (!cookies) {
      const addresses = siteAddresses(probed, notes, offsets, options.pid ?? -1, where);
      for (let i = 0; i < addresses.length; i++) {
        ipKeys.push(specMaps.mapAddress(addresses[i] as bigint, siteIds[i] as number, context));
      }
    }
    if (options.multi === true) {
      const linkOptions = {
        cookies: cookies ? siteIds : undefined,
        refCtrOffsets: semaphores ? refCtrOffsets : undefined,
        retprobe: false,
        pid: options.pid,
      };
      return new Link('usdt', createUprobeMultiLink(programFd, path, offsets, linkOptions, where), [], release);
    }
    const pid = options.pid === undefined ? {} : { pid: options.pid };
    const probes: Link[] = [];
    try {
      offsets.forEach((offset, i) => {
        probes.push(
          attachUprobe(programFd, path, {
            offset,
            ...(cookies ? { cookie: BigInt(siteIds[i] as number) } : {}),
            ...(refCtrOffsets[i] === 0 ? {} : { refCtrOffset: refCtrOffsets[i] as number }),
            ...pid,
          }),
        );
      });
    } catch (error) {
      for (const probe of probes) probe.close();
      throw error;
    }
    const [first, ...others] = probes as [Link, ...Link[]];
    return first.handOver('usdt', () => {
      for (const probe of others) probe.close();
      release();
    });
  } catch (error) {
    release();
    throw error;
  }
}

/**
 * What closing a USDT link undoes beside its probes: the site addresses mapped and the spec
 * ids taken. Made apart from {@link attachUsdt}, so that the closure a link keeps holds these
 * and nothing of the attach (the binary, its notes, the offsets).
 */
function releaseSites(specMaps: UsdtSpecMaps, ids: readonly number[], ipKeys: readonly Uint8Array[]): () => void {
  return () => {
    specMaps.unmapAddresses(ipKeys);
    specMaps.releaseSpecIds(ids);
  };
}

/**
 * Where each probe site is in the traced process, what the program's instruction pointer
 * is there: the linked address in an executable (ET_EXEC), else (PIE executables and shared
 * libraries) the address at which process `pid` mapped the site's file offset.
 */
function siteAddresses(
  probed: ProbedBinary,
  notes: readonly SdtNote[],
  offsets: readonly number[],
  pid: number,
  context: LinkErrorContext,
): bigint[] {
  if (probed.elf.header.type === ET_EXEC) return notes.map((n) => n.address);
  return mappedAddresses(pid, probed.path, offsets, context);
}

/**
 * The distinct argument strings of `notes` in order (one spec each, as sites of one probe
 * usually share them), and per site the index of its string.
 */
function distinctArgs(notes: readonly SdtNote[]): { args: string[]; argsOfSite: number[] } {
  // One site, the usual case: no map to build.
  if (notes.length === 1) return { args: [(notes[0] as SdtNote).args], argsOfSite: [0] };
  const index = new Map<string, number>();
  const argsOfSite = notes.map((n) => {
    let i = index.get(n.args);
    if (i === undefined) {
      i = index.size;
      index.set(n.args, i);
    }
    return i;
  });
  return { args: [...index.keys()], argsOfSite };
}
