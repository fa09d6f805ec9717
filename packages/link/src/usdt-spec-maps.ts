import {
  isLittleEndianHost,
  type MapLayout,
  mapDelete,
  mapInfo,
  mapLayout,
  mapUpdate,
  mapUpdateBatch,
  nativeBuffer,
  UpdateFlag,
} from '@bpfkit/syscall';
import { kernelStep, LinkError, type LinkErrorContext } from './errors.js';
import { USDT_SPEC_SIZE, type UsdtArgSpec, writeUsdtSpec } from './usdt-args.js';
import { UsdtSpecIds } from './usdt-spec-ids.js';

/** The maps `usdt.bpf.h` reads, from the program's object (libbpf's names: `__bpf_usdt_specs`, `__bpf_usdt_ip_to_spec_id`). */
export interface UsdtMaps {
  /** `__bpf_usdt_specs`: ARRAY of `struct __bpf_usdt_spec` by spec id. */
  readonly specs: number;
  /** `__bpf_usdt_ip_to_spec_id`: HASH of probe address to spec id, read when the kernel has no BPF cookies. */
  readonly ipToSpec?: number | undefined;
}

/** Spec ids in use per `__bpf_usdt_specs` map (by map id), shared by every USDT link of the process. */
const specIdsByMap = new Map<number, UsdtSpecIds>();

/** The key and value of a one-spec update, reused (the kernel copies them during the call). */
const oneId = new Uint8Array(4);
const oneIdView = new DataView(oneId.buffer);
const oneSpec = new Uint8Array(USDT_SPEC_SIZE);
const oneSpecView = new DataView(oneSpec.buffer);

/** `values` as u32s in host order, in one buffer. */
function u32Array(values: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setUint32(i * 4, values[i] as number, isLittleEndianHost);
  return bytes;
}

/**
 * An object's USDT maps, described once (what libbpf's per-object USDT manager holds): the
 * spec map's layout and capacity read from the kernel at {@link openUsdtMaps}, so attaching
 * many probes reads them once, not per probe. Hands out spec ids, writes specs and maps
 * probe addresses to spec ids.
 */
export class UsdtSpecMaps implements UsdtMaps {
  private readonly ids: UsdtSpecIds;
  private ipLayout: MapLayout | undefined;

  /** @internal built by {@link openUsdtMaps} */
  constructor(
    /** `__bpf_usdt_specs`. */
    readonly specs: number,
    /** `__bpf_usdt_ip_to_spec_id`, when the object has it. */
    readonly ipToSpec: number | undefined,
    /** The spec map's layout and capacity, as the kernel reported them. */
    private readonly specLayout: MapLayout & { readonly id: number; readonly maxEntries: number },
  ) {
    let ids = specIdsByMap.get(specLayout.id);
    if (ids === undefined) {
      ids = new UsdtSpecIds(specLayout.maxEntries);
      specIdsByMap.set(specLayout.id, ids);
    }
    this.ids = ids;
  }

  /**
   * The lowest `count` spec ids not in use, marked used.
   * @throws {@link LinkError} `bad-target` when fewer are free.
   */
  takeSpecIds(count: number, context: LinkErrorContext): number[] {
    const ids = this.ids.take(count);
    if (ids !== undefined) return ids;
    throw new LinkError(
      'bad-target',
      `all ${this.ids.capacity} USDT spec ids of the spec map are in use`,
      context,
      'close USDT links no longer needed, or give the object a larger __bpf_usdt_specs map',
    );
  }

  /** Frees spec ids for other links. */
  releaseSpecIds(ids: readonly number[]): void {
    this.ids.release(ids);
  }

  /**
   * Writes the specs (each site's decoded arguments, with the user's `cookie`) under their
   * ids, encoded straight into the buffer of the write: one BPF_MAP_UPDATE_BATCH for several
   * (libbpf makes a call per spec), one BPF_MAP_UPDATE_ELEM for one, as that is a call either way.
   */
  writeSpecs(
    ids: readonly number[],
    specs: readonly (readonly UsdtArgSpec[])[],
    cookie: bigint,
    context: LinkErrorContext,
  ): void {
    const layout = this.specLayout;
    const le = isLittleEndianHost;
    if (ids.length === 1) {
      oneIdView.setUint32(0, ids[0] as number, le);
      oneSpec.fill(0);
      writeUsdtSpec(oneSpecView, 0, specs[0] as readonly UsdtArgSpec[], cookie, le);
      kernelStep('write the USDT spec', context, () => mapUpdate(this.specs, oneId, oneSpec, layout));
      return;
    }
    const values = nativeBuffer(specs.length * USDT_SPEC_SIZE);
    const view = new DataView(values.buffer);
    specs.forEach((spec, i) => {
      writeUsdtSpec(view, i * USDT_SPEC_SIZE, spec, cookie, le);
    });
    kernelStep('write the USDT specs', context, () =>
      mapUpdateBatch(this.specs, u32Array(ids), values, ids.length, layout),
    );
  }

  /**
   * Maps probe address `address` (as the program sees it in `pt_regs`) to `specId`; returns the key written.
   * @throws {@link LinkError} `bad-target` when another link maps that address already.
   */
  mapAddress(address: bigint, specId: number, context: LinkErrorContext): Uint8Array {
    const ipMap = this.ipToSpec;
    if (ipMap === undefined) throw new LinkError('bad-target', 'the object has no USDT ip-to-spec map', context);
    this.ipLayout ??= kernelStep('read the USDT ip map', context, () => mapLayout(ipMap));
    const key = new Uint8Array(8);
    new DataView(key.buffer).setBigUint64(0, address, isLittleEndianHost);
    const layout = this.ipLayout;
    // As libbpf: a site another link already maps keeps its spec (EEXIST), not silently this one's.
    try {
      kernelStep('map the USDT site to its spec', context, () =>
        mapUpdate(ipMap, key, u32Array([specId]), layout, UpdateFlag.NOEXIST),
      );
    } catch (error) {
      if (!LinkError.is(error) || error.context.errno !== 'EEXIST') throw error;
      throw new LinkError(
        'bad-target',
        `another USDT link already maps the site at 0x${address.toString(16)} to its spec`,
        context,
        'without BPF cookies, a probe site is attached once per object at a time: close the other link first',
        { cause: error },
      );
    }
    return key;
  }

  /** Removes address keys written by {@link mapAddress}. */
  unmapAddresses(keys: readonly Uint8Array[]): void {
    const ipMap = this.ipToSpec;
    if (ipMap === undefined || keys.length === 0) return;
    const layout = this.ipLayout ?? mapLayout(ipMap);
    for (const key of keys) mapDelete(ipMap, key, layout);
  }
}

/**
 * Describes an object's USDT maps once, for {@link attachUsdt} calls on many probes (the
 * spec map's size and capacity are then read once, as libbpf's USDT manager does).
 * @throws {@link LinkError} `bad-target` when the spec map's values are not
 * `struct __bpf_usdt_spec`, `kernel` when its description cannot be read.
 */
export function openUsdtMaps(maps: UsdtMaps, context: LinkErrorContext = { kind: 'usdt' }): UsdtSpecMaps {
  if (maps instanceof UsdtSpecMaps) return maps;
  const info = kernelStep('read the USDT spec map', context, () => mapInfo(maps.specs));
  if (info.valueSize !== USDT_SPEC_SIZE) {
    throw new LinkError(
      'bad-target',
      `the USDT spec map holds ${info.valueSize}-byte values, not the ${USDT_SPEC_SIZE} of usdt.bpf.h's struct __bpf_usdt_spec`,
      context,
    );
  }
  return new UsdtSpecMaps(maps.specs, maps.ipToSpec, info);
}
