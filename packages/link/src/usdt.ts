import {
  isLittleEndianHost,
  type MapLayout,
  mapDelete,
  mapInfo,
  mapLayout,
  mapUpdate,
  mapUpdateBatch,
} from '@bpfkit/syscall';
import { kernelStep, LinkError, type LinkErrorContext } from './errors.js';
import type { Link } from './link.js';
import { attachUprobe } from './uprobe.js';
import { attachUprobeMulti } from './uprobe-multi.js';
import { encodeUsdtSpec, parseUsdtArgs, USDT_SPEC_SIZE } from './usdt-args.js';
import { addressFileOffset, openProbedBinary } from './user-symbols.js';

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

/** `count` u32 keys (or values) in host order, in one buffer. */
function u32Array(values: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  values.forEach((value, i) => {
    view.setUint32(i * 4, value, isLittleEndianHost);
  });
  return bytes;
}

function u64Key(value: bigint): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, value, isLittleEndianHost);
  return bytes;
}

/** The lowest `count` spec ids not in `used`, below `max`, marked used. */
function takeSpecIds(used: Set<number>, count: number, max: number, context: LinkErrorContext): number[] {
  const ids: number[] = [];
  for (let id = 0; ids.length < count; id++) {
    if (id >= max) {
      for (const taken of ids) used.delete(taken);
      throw new LinkError('bad-target', `all ${max} USDT spec ids of the spec map are in use`, context);
    }
    if (!used.has(id)) {
      used.add(id);
      ids.push(id);
    }
  }
  return ids;
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
  const probed = openProbedBinary(binary, context);
  const path = probed.path;
  const notes = probed.sdtProbes(provider, name);
  if (notes.length === 0) {
    throw new LinkError('not-found', `no USDT probe ${provider}:${name} in '${path}'`, { ...context, path });
  }
  const cookies = options.cookies ?? true;
  if (!cookies && (maps.ipToSpec === undefined || probed.elf.header.type !== 2) /* ET_EXEC */) {
    throw new LinkError(
      'not-supported',
      'without BPF cookies, USDT spec ids are found by address: that needs the ip-to-spec map and a non-PIE executable',
      context,
    );
  }
  const specMap = kernelStep('read the USDT spec map', context, () => mapInfo(maps.specs));
  if (specMap.valueSize !== USDT_SPEC_SIZE) {
    throw new LinkError(
      'bad-target',
      `the USDT spec map holds ${specMap.valueSize}-byte values, not the ${USDT_SPEC_SIZE} of usdt.bpf.h's struct __bpf_usdt_spec`,
      context,
    );
  }
  const site = (address: bigint) => addressFileOffset(probed, address, { ...context, path });
  const offsets = notes.map((n) => site(n.address));
  const refCtrOffsets = notes.map((n) => (n.semaphore === 0n ? 0 : site(n.semaphore)));
  // One spec per distinct argument string, as sites of one probe usually share them.
  const argStrings = [...new Set(notes.map((n) => n.args))];
  const specs = argStrings.map((args) =>
    encodeUsdtSpec(parseUsdtArgs(args, context), options.cookie ?? 0n, isLittleEndianHost),
  );

  const used = usedSpecIds.get(specMap.id) ?? new Set<number>();
  usedSpecIds.set(specMap.id, used);
  const specIds = takeSpecIds(used, argStrings.length, specMap.maxEntries, context);
  const specIdByArgs = new Map(argStrings.map((args, i) => [args, specIds[i] as number]));
  const siteSpecIds = notes.map((n) => specIdByArgs.get(n.args) as number);
  const ipKeys: Uint8Array[] = [];
  const release = () => {
    for (const key of ipKeys) {
      if (maps.ipToSpec !== undefined) mapDelete(maps.ipToSpec, key, mapLayout(maps.ipToSpec));
    }
    for (const id of specIds) used.delete(id);
  };
  try {
    writeSpecs(maps.specs, specMap, specIds, specs, context);
    if (!cookies && maps.ipToSpec !== undefined) {
      const ipMap = maps.ipToSpec;
      const layout = kernelStep('read the USDT ip map', context, () => mapLayout(ipMap));
      notes.forEach((note, i) => {
        const key = u64Key(note.address);
        kernelStep('map the USDT site to its spec', context, () =>
          mapUpdate(ipMap, key, u32Array([siteSpecIds[i] as number]), layout),
        );
        ipKeys.push(key);
      });
    }
    const pid = options.pid === undefined ? {} : { pid: options.pid };
    if (options.multi === true) {
      const probes = attachUprobeMulti(programFd, path, {
        offsets,
        ...(cookies ? { cookies: siteSpecIds.map(BigInt) } : {}),
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
            ...(cookies ? { cookie: BigInt(siteSpecIds[i] as number) } : {}),
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
 * Writes the specs under their ids: one BPF_MAP_UPDATE_BATCH for several (libbpf makes a
 * call per spec), one BPF_MAP_UPDATE_ELEM for one, as that is a call either way.
 */
function writeSpecs(
  mapFd: number,
  layout: MapLayout,
  ids: readonly number[],
  specs: readonly Uint8Array[],
  context: LinkErrorContext,
): void {
  if (ids.length === 1) {
    kernelStep('write the USDT spec', context, () => mapUpdate(mapFd, u32Array(ids), specs[0] as Uint8Array, layout));
    return;
  }
  const values = new Uint8Array(specs.length * USDT_SPEC_SIZE);
  specs.forEach((spec, i) => {
    values.set(spec, i * USDT_SPEC_SIZE);
  });
  kernelStep('write the USDT specs', context, () => mapUpdateBatch(mapFd, u32Array(ids), values, ids.length, layout));
}
