import { readSdtNotes, type SdtNote } from '@bpfkit/elf';
import { isLittleEndianHost, mapDelete, mapInfo, mapLayout, mapUpdate } from '@bpfkit/syscall';
import { resolveBinaryPath } from './binary-path.js';
import { kernelStep, LinkError, type LinkErrorContext } from './errors.js';
import type { Link } from './link.js';
import { attachUprobe } from './uprobe.js';
import { attachUprobeMulti } from './uprobe-multi.js';
import { encodeUsdtSpec, parseUsdtArgs, USDT_SPEC_SIZE } from './usdt-args.js';
import { addressFileOffset, binaryElf } from './user-symbols.js';

/** The maps `usdt.bpf.h` reads, from the program's object (libbpf's names: `__bpf_usdt_specs`, `__bpf_usdt_ip_to_spec_id`). */
export interface UsdtMaps {
  /** `__bpf_usdt_specs`: ARRAY of `struct __bpf_usdt_spec` by spec id. */
  readonly specs: number;
  /** `__bpf_usdt_ip_to_spec_id`: HASH of probe address to spec id, read when the kernel has no BPF cookies. */
  readonly ipToSpec?: number;
}

/** Options for {@link attachUsdt}. */
export interface UsdtOptions {
  /** What `bpf_usdt_cookie()` returns in the program. */
  readonly cookie?: bigint;
  /** Only this process (-1 or absent: every process). */
  readonly pid?: number;
  /**
   * Whether the kernel passes BPF cookies (5.15+), which carry each probe's spec id; without
   * them the spec id is found by address in `ipToSpec` (non-PIE executables only). Default true.
   */
  readonly cookies?: boolean;
  /**
   * Probe every site through one uprobe.multi link (Linux 6.6+), for programs loaded with
   * `BPF_TRACE_UPROBE_MULTI` as expected attach type; otherwise one uprobe per site.
   */
  readonly multi?: boolean;
}

/** Spec ids in use per `__bpf_usdt_specs` map (by map id), shared by every USDT link of the process. */
const usedSpecIds = new Map<number, Set<number>>();

function u32Key(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value, isLittleEndianHost);
  return bytes;
}

function u64Key(value: bigint): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, value, isLittleEndianHost);
  return bytes;
}

/** The probes of `path` called `provider:name`. */
function probesOf(path: string, provider: string, name: string, context: LinkErrorContext): SdtNote[] {
  const notes = readSdtNotes(binaryElf(path)).filter((n) => n.provider === provider && n.name === name);
  if (notes.length === 0) {
    throw new LinkError('not-found', `no USDT probe ${provider}:${name} in '${path}'`, { ...context, path });
  }
  return notes;
}

/**
 * Attaches a `usdt` program (written against libbpf's `usdt.bpf.h`) to every site of probe
 * `provider:name` in `binary`: each site's argument specs go into the `specs` map under a
 * spec id, and a uprobe per site (or one uprobe.multi link for all) carries it as BPF
 * cookie (or, without cookies, with the site's address mapped to it in `ipToSpec`); semaphores are
 * raised through `ref_ctr_offset`. Closing the link frees the spec ids and map entries.
 * @throws {@link LinkError} `not-found` for a binary without the probe, `bad-target` /
 * `not-supported` for argument specs that cannot be decoded, `kernel` when refused.
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
  const path = resolveBinaryPath(binary, context);
  const elf = binaryElf(path);
  const notes = probesOf(path, provider, name, context);
  const cookies = options.cookies ?? true;
  if (!cookies && (maps.ipToSpec === undefined || elf.header.type !== 2) /* ET_EXEC */) {
    throw new LinkError(
      'not-supported',
      'without BPF cookies, USDT spec ids are found by address: that needs the ip-to-spec map and a non-PIE executable',
      context,
    );
  }
  const specLayout = kernelStep('read the USDT spec map', context, () => mapLayout(maps.specs));
  if (specLayout.valueSize !== USDT_SPEC_SIZE) {
    throw new LinkError(
      'bad-target',
      `the USDT spec map holds ${specLayout.valueSize}-byte values, not the ${USDT_SPEC_SIZE} of usdt.bpf.h's struct __bpf_usdt_spec`,
      context,
    );
  }
  const specMapId = kernelStep('read the USDT spec map', context, () => mapInfo(maps.specs).id);
  const used = usedSpecIds.get(specMapId) ?? new Set<number>();
  usedSpecIds.set(specMapId, used);
  const maxSpecs = kernelStep('read the USDT spec map', context, () => mapInfo(maps.specs).maxEntries);

  // One spec per distinct argument string, as sites of one probe usually share them.
  const specIdByArgs = new Map<string, number>();
  const ipKeys: Uint8Array[] = [];
  const release = () => {
    for (const key of ipKeys) {
      if (maps.ipToSpec !== undefined) mapDelete(maps.ipToSpec, key, mapLayout(maps.ipToSpec));
    }
    for (const id of specIdByArgs.values()) used.delete(id);
  };
  try {
    const siteSpecIds = notes.map((note) => {
      let id = specIdByArgs.get(note.args);
      if (id === undefined) {
        const args = parseUsdtArgs(note.args, context);
        id = 0;
        while (used.has(id)) id++;
        if (id >= maxSpecs) {
          throw new LinkError('bad-target', `all ${maxSpecs} USDT spec ids of the spec map are in use`, context);
        }
        used.add(id);
        specIdByArgs.set(note.args, id);
        const spec = encodeUsdtSpec(args, options.cookie ?? 0n, isLittleEndianHost);
        kernelStep('write the USDT spec', context, () => mapUpdate(maps.specs, u32Key(id as number), spec, specLayout));
      }
      return id;
    });
    if (!cookies && maps.ipToSpec !== undefined) {
      const ipMap = maps.ipToSpec;
      const layout = kernelStep('read the USDT ip map', context, () => mapLayout(ipMap));
      notes.forEach((note, i) => {
        const key = u64Key(note.address);
        kernelStep('map the USDT site to its spec', context, () =>
          mapUpdate(ipMap, key, u32Key(siteSpecIds[i] as number), layout),
        );
        ipKeys.push(key);
      });
    }
    const site = (address: bigint) => addressFileOffset(elf, address, { ...context, path });
    const offsets = notes.map((n) => site(n.address));
    const refCtrOffsets = notes.map((n) => (n.semaphore === 0n ? 0 : site(n.semaphore)));
    const pid = options.pid === undefined ? {} : { pid: options.pid };
    if (options.multi === true) {
      const probes = attachUprobeMulti(programFd, path, {
        offsets,
        cookies: siteSpecIds.map(BigInt),
        ...(refCtrOffsets.some((o) => o !== 0) ? { refCtrOffsets } : {}),
        ...pid,
      });
      return probes.handOver('usdt', release);
    }
    const probes: Link[] = [];
    try {
      offsets.forEach((offset, i) => {
        probes.push(
          attachUprobe(programFd, path, {
            offset,
            cookie: BigInt(siteSpecIds[i] as number),
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
