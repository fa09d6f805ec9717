import { type Btf, type BtfCodec, type BtfValue, btfCodec } from '@bpfkit/btf';
import type { MapSpec } from '@bpfkit/maps';
import type { ProgramPlan } from '@bpfkit/reloc';
import {
  type Fd,
  isLittleEndianHost,
  type MapInfo,
  mapDelete,
  mapInfo,
  mapLookup,
  mapNextKey,
  mapUpdate,
  type ProgramInfo,
  programInfo,
  type TestRunOptions,
  type TestRunResult,
  testRun,
} from '@bpfkit/syscall';
import { type AttachOptions, attachProgram } from './execute-attach.js';
import type { BpfLink } from './link.js';
import { type PinOptions, pinAt } from './pin-root.js';

/** Slots of map-in-map and prog arrays read back as 4-byte ids. */
const idCodec: BtfCodec = {
  size: 4,
  decode: (bytes) => new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, isLittleEndianHost),
  encode: (value) => btfCodecFallbackU32(value),
};

/** A 4-byte key or id from a number. */
function btfCodecFallbackU32(value: BtfValue): Uint8Array {
  if (typeof value !== 'number' && typeof value !== 'bigint') throw new Error('expected a number for a 4-byte key');
  const bytes = new Uint8Array(new ArrayBuffer(4));
  new DataView(bytes.buffer).setUint32(0, Number(value) >>> 0, isLittleEndianHost);
  return bytes;
}

/** Map types whose values are one slot per possible CPU. */
const perCpuTypes = new Set([5, 6, 10, 21]);

/** A map living in the kernel, owned by its {@link BpfObject}. */
export class BpfMap {
  private keyCodec: BtfCodec | undefined;
  private valueCodec: BtfCodec | undefined;

  /** @internal */
  constructor(
    /** The definition it was created from. */
    readonly spec: MapSpec,
    private readonly handle: Fd,
    private readonly possibleCpus: number,
    private readonly btf: Btf | undefined,
  ) {}

  /** The file descriptor (-1 once the object is closed). */
  get fd(): number {
    return this.handle.fd;
  }
  /** Name users look it up by. */
  get name(): string {
    return this.spec.name;
  }
  /** `BPF_MAP_TYPE_*`. */
  get type(): number {
    return this.spec.type;
  }
  /** Key size in bytes. */
  get keySize(): number {
    return this.spec.keySize;
  }
  /** Value size in bytes (per CPU, for per-CPU maps). */
  get valueSize(): number {
    return this.spec.valueSize;
  }
  /** Maximum entries. */
  get maxEntries(): number {
    return this.spec.maxEntries;
  }
  /** `BPF_F_*` flags. */
  get flags(): number {
    return this.spec.flags;
  }

  /** Bytes a lookup returns: the value size, or for per-CPU maps one 8-byte-aligned value per possible CPU. */
  get lookupSize(): number {
    return perCpuTypes.has(this.spec.type)
      ? Math.ceil(this.spec.valueSize / 8) * 8 * this.possibleCpus
      : this.spec.valueSize;
  }

  /** BPF_OBJ_GET_INFO_BY_FD, including the kernel's `id`. */
  info(): MapInfo {
    return mapInfo(this.fd);
  }

  /** The value at `key`, or `undefined`; map-in-map lookups return the inner map's id. */
  lookup(key: Uint8Array): Uint8Array | undefined {
    return mapLookup(this.fd, key, this.lookupSize, 0, this.name);
  }

  /** Writes `value` at `key` (`flags`: BPF_ANY, BPF_NOEXIST, BPF_EXIST). */
  update(key: Uint8Array, value: Uint8Array, flags = 0): void {
    mapUpdate(this.fd, key, value, flags, this.name);
  }

  /** Deletes `key`; true when it was there. */
  delete(key: Uint8Array): boolean {
    return mapDelete(this.fd, key, this.name);
  }

  /** Every key, in the kernel's iteration order. */
  *keys(): Generator<Uint8Array> {
    let key = mapNextKey(this.fd, undefined, this.keySize, this.name);
    while (key !== undefined) {
      yield key;
      key = mapNextKey(this.fd, key, this.keySize, this.name);
    }
  }

  /**
   * The value at `key` as a plain JavaScript value, decoded through the map's BTF (numbers,
   * bigints past 32 bits, objects for structs, arrays, strings for char arrays); per-CPU maps
   * give one value per possible CPU. Keys may be bytes or values of the key type.
   * @throws Error when the map has no BTF for its values.
   */
  get(key: BtfValue | Uint8Array): BtfValue | BtfValue[] | undefined {
    const raw = this.lookup(this.keyBytes(key));
    if (raw === undefined) return undefined;
    const codec = this.codec('value');
    if (!perCpuTypes.has(this.spec.type)) return codec.decode(raw);
    const stride = Math.ceil(this.spec.valueSize / 8) * 8;
    return Array.from({ length: this.possibleCpus }, (_, cpu) => codec.decode(raw.subarray(cpu * stride)));
  }

  /** Writes a plain JavaScript value at `key` (per-CPU maps: one value for every CPU, or an array). */
  set(key: BtfValue | Uint8Array, value: BtfValue | Uint8Array, flags = 0): void {
    const codec = value instanceof Uint8Array ? undefined : this.codec('value');
    let bytes: Uint8Array;
    if (value instanceof Uint8Array) bytes = value;
    else if (perCpuTypes.has(this.spec.type)) {
      const stride = Math.ceil(this.spec.valueSize / 8) * 8;
      bytes = new Uint8Array(stride * this.possibleCpus);
      for (let cpu = 0; cpu < this.possibleCpus; cpu++) {
        const one = Array.isArray(value) && value.length === this.possibleCpus ? (value[cpu] as BtfValue) : value;
        bytes.set((codec as BtfCodec).encode(one), cpu * stride);
      }
    } else bytes = (codec as BtfCodec).encode(value);
    this.update(this.keyBytes(key), bytes, flags);
  }

  private keyBytes(key: BtfValue | Uint8Array): Uint8Array {
    if (key instanceof Uint8Array) return key;
    if (this.spec.btfKeyTypeId === 0 && this.spec.keySize === 4) return btfCodecFallbackU32(key);
    return this.codec('key').encode(key);
  }

  private codec(which: 'key' | 'value'): BtfCodec {
    const cached = which === 'key' ? this.keyCodec : this.valueCodec;
    if (cached !== undefined) return cached;
    const id = which === 'key' ? this.spec.btfKeyTypeId : this.spec.btfValueTypeId;
    if (this.btf === undefined || id === 0) {
      if (which === 'value' && (this.spec.inner !== undefined || this.spec.type === 3)) return idCodec;
      throw new Error(`map '${this.name}' has no BTF ${which} type; use lookup()/update() with bytes`);
    }
    const codec = btfCodec(this.btf, id, isLittleEndianHost);
    if (which === 'key') this.keyCodec = codec;
    else this.valueCodec = codec;
    return codec;
  }

  /** Every `[key, value]` pair still present while iterating. */
  *entries(): Generator<[Uint8Array, Uint8Array]> {
    for (const key of this.keys()) {
      const value = this.lookup(key);
      if (value !== undefined) yield [key, value];
    }
  }

  /** Pins the map at `path` in a bpffs (`replace` to swap out an existing pin). */
  pin(path: string, options: PinOptions = {}): void {
    pinAt(this.fd, path, options);
  }
}

/** A program loaded into the kernel, owned by its {@link BpfObject}. */
export class BpfProgram {
  /** @internal */
  constructor(
    /** The plan it was loaded from. */
    readonly plan: ProgramPlan,
    private readonly handle: Fd,
    /** Verifier log, when the load asked for one. */
    readonly verifierLog: readonly string[],
    private readonly object: string,
    private readonly adopt: (link: BpfLink) => void,
  ) {}

  /** The file descriptor (-1 once the object is closed). */
  get fd(): number {
    return this.handle.fd;
  }
  /** Program name. */
  get name(): string {
    return this.plan.name;
  }
  /** `BPF_PROG_TYPE_*`. */
  get type(): number {
    return this.plan.kind?.programType ?? 0;
  }

  /** BPF_OBJ_GET_INFO_BY_FD, optionally with the translated instructions. */
  info(options: { xlated?: boolean } = {}): ProgramInfo {
    return programInfo(this.fd, options);
  }

  /** BPF_PROG_TEST_RUN: runs the program on `data`/`ctx` in the kernel. */
  testRun(options: TestRunOptions = {}): TestRunResult {
    return testRun(this.fd, options, this.name);
  }

  /** Pins the program at `path` in a bpffs (`replace` to swap out an existing pin). */
  pin(path: string, options: PinOptions = {}): void {
    pinAt(this.fd, path, options);
  }

  /**
   * Attaches the program as its section name says (`raw_tp/…`, `tp/…`, `uprobe/…`, `xdp`,
   * `tcx/…`, `cgroup_skb/…`, `iter/…`, `socket`); `options` supply what the name cannot.
   * The link belongs to the object: closing the object closes it.
   * @throws {@link LoadError} naming the program and what the attachment needs.
   */
  attach(options: AttachOptions = {}): BpfLink {
    const link = attachProgram(this.plan, this.fd, options, this.object);
    this.adopt(link);
    return link;
  }
}
