import { type Btf, type BtfCodec, BtfError, type BtfValue, btfCodec, resolveType } from '@bpfkit/btf';
import type { Link as BpfLink } from '@bpfkit/link';
import type { MapSpec } from '@bpfkit/maps';
import type { ProgramPlan } from '@bpfkit/reloc';
import {
  type Fd,
  isLittleEndianHost,
  joinPerCpu,
  type MapInfo,
  type MapLayout,
  type Mapping,
  mapDelete,
  mapInfo,
  mapLayout,
  mapLookup,
  mapMemory,
  mapNextKey,
  mapUpdate,
  type PinOptions,
  POSSIBLE_CPUS_PATH,
  type ProgramInfo,
  pinAt,
  possibleCpus,
  programInfo,
  splitPerCpu,
  type TestRunOptions,
  type TestRunResult,
  testRun,
  valueBufferSize,
} from '@bpfkit/syscall';
import { isPerCpuMapType, MapFlag, MapType } from '@bpfkit/uapi';
import { LoadError } from './errors.js';
import { type AttachOptions, attachProgram, type ObjectUsdtMaps } from './execute-attach.js';

/** Slots of map-in-map and prog arrays read back as 4-byte ids. */
const idCodec: BtfCodec = {
  size: 4,
  decode: (bytes) => new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, isLittleEndianHost),
  encode: (value) => u32Bytes(value),
};

const U32_MAX = 0xffffffff;

/**
 * A 4-byte key or id from a whole number in the u32 range.
 * @throws {@link BtfError} (`bad-record`) for anything else, instead of wrapping it.
 */
function u32Bytes(value: BtfValue): Uint8Array {
  const number = typeof value === 'bigint' ? value : typeof value === 'number' ? value : undefined;
  if (
    number === undefined ||
    (typeof number === 'number' && !Number.isInteger(number)) ||
    number < 0 ||
    number > U32_MAX
  )
    throw new BtfError('bad-record', `${String(value)} does not fit 4 unsigned bytes`, {
      expected: `0 to ${U32_MAX}`,
      actual: String(value),
    });
  const bytes = new Uint8Array(new ArrayBuffer(4));
  new DataView(bytes.buffer).setUint32(0, Number(number), isLittleEndianHost);
  return bytes;
}

/** A map living in the kernel, owned by its {@link BpfObject}. */
export class BpfMap {
  private keyCodec: BtfCodec | undefined;
  private valueCodec: BtfCodec | undefined;
  /** Type and sizes as the kernel reports them for this fd, read on first use: what every element call is sized by. */
  private kernelLayout: MapLayout | undefined;
  /** The values mapped into this process, once {@link memory} has been called. */
  private mapping: Mapping | undefined;

  /** @internal */
  constructor(
    /** The definition it was created from. */
    readonly spec: MapSpec,
    private readonly handle: Fd,
    /** Reads the BTF {@link btf} returns, on first use (shared by the object's maps). */
    private readonly typedBtf: () => Btf | undefined,
    /**
     * For a struct_ops map, the value it registers with: the kernel's `bpf_struct_ops_<name>`
     * layout, the object's data members copied in and its programs' fds in the function
     * pointers. Writing it at key 0 registers a `.struct_ops` map; a `.struct_ops.link` map
     * takes it the same way and registers when a struct_ops link is made. `undefined` for
     * other maps.
     */
    readonly structOpsValue?: Uint8Array,
    /** For an arena, its memory as the load mapped it (what {@link memory} returns). */
    arena?: Mapping,
  ) {
    this.mapping = arena;
  }

  /**
   * The BTF its `spec.btfKeyTypeId` and `spec.btfValueTypeId` refer to: the object's BTF as
   * loaded into the kernel (DATASEC sizes and offsets fixed up), so global data decodes too.
   * Parsed when first asked for: most loaded maps are never decoded from user space.
   */
  get btf(): Btf | undefined {
    return this.typedBtf();
  }

  /** Asked of the kernel once, when an element call or a size first needs it: most loaded maps are never read from user space. */
  private get layout(): MapLayout {
    this.kernelLayout ??= mapLayout(this.handle.fd);
    return this.kernelLayout;
  }

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
    return this.layout.type;
  }
  /** Key size in bytes. */
  get keySize(): number {
    return this.layout.keySize;
  }
  /** Value size in bytes (per CPU, for per-CPU maps). */
  get valueSize(): number {
    return this.layout.valueSize;
  }
  /** Maximum entries. */
  get maxEntries(): number {
    return this.spec.maxEntries;
  }
  /** `BPF_F_*` flags. */
  get flags(): number {
    return this.spec.flags;
  }

  /** Bytes a lookup returns and an update takes: the value size, or for per-CPU maps one 8-byte-aligned value per possible CPU. */
  get lookupSize(): number {
    return valueBufferSize(this.layout);
  }

  /** BPF_OBJ_GET_INFO_BY_FD, including the kernel's `id`. */
  info(): MapInfo {
    return mapInfo(this.fd);
  }

  /**
   * The value at `key` ({@link lookupSize} bytes), or `undefined`; map-in-map lookups return the inner map's id.
   * @throws {@link @bpfkit/syscall!BpfSyscallError} naming the map, also (EINVAL, before the call) for a key of the wrong size.
   */
  lookup(key: Uint8Array): Uint8Array | undefined {
    return mapLookup(this.fd, key, this.layout, 0, this.name);
  }

  /**
   * Writes `value` ({@link lookupSize} bytes) at `key` (`flags`: BPF_ANY, BPF_NOEXIST, BPF_EXIST).
   * @throws {@link @bpfkit/syscall!BpfSyscallError} naming the map, also (EINVAL, before the call) for a key or value of the wrong size.
   */
  update(key: Uint8Array, value: Uint8Array, flags = 0): void {
    mapUpdate(this.fd, key, value, this.layout, flags, this.name);
  }

  /** Deletes `key`; true when it was there. */
  delete(key: Uint8Array): boolean {
    return mapDelete(this.fd, key, this.layout, this.name);
  }

  /** Every key, in the kernel's iteration order. */
  *keys(): Generator<Uint8Array> {
    let key = mapNextKey(this.fd, undefined, this.layout, this.name);
    while (key !== undefined) {
      yield key;
      key = mapNextKey(this.fd, key, this.layout, this.name);
    }
  }

  /**
   * The value at `key` as a plain JavaScript value, decoded through the map's BTF (numbers,
   * bigints past 32 bits, objects for structs, arrays, strings for char arrays); per-CPU maps
   * give one value per possible CPU. Keys may be bytes or values of the key type.
   * @throws {@link LoadError} (step `use`) when the map has no BTF for its values or a key does not fit.
   */
  get(key: BtfValue | Uint8Array): BtfValue | BtfValue[] | undefined {
    const raw = this.lookup(this.keyBytes(key));
    if (raw === undefined) return undefined;
    const codec = this.codec('value');
    return this.using('value', () =>
      isPerCpuMapType(this.layout.type)
        ? splitPerCpu(this.layout, raw).map((one) => codec.decode(one))
        : codec.decode(raw),
    );
  }

  /**
   * Writes a plain JavaScript value at `key`. Per-CPU maps take one value for every CPU, or
   * an array of exactly one value per possible CPU.
   * @throws {@link LoadError} (step `use`) naming the map when a key or value does not fit its
   * type, or a per-CPU array has the wrong count; {@link @bpfkit/syscall!BpfSyscallError} when bytes have the wrong size.
   */
  set(key: BtfValue | Uint8Array, value: BtfValue | Uint8Array, flags = 0): void {
    const keyBytes = this.keyBytes(key);
    if (value instanceof Uint8Array) {
      this.update(keyBytes, value, flags);
      return;
    }
    const codec = this.codec('value');
    let bytes: Uint8Array;
    if (isPerCpuMapType(this.layout.type)) {
      const cpus = possibleCpus();
      // An array is one value per CPU, unless the value type is itself an array: then only an array of arrays (or strings) is.
      const perCpu =
        Array.isArray(value) &&
        (!this.valueIsArray() || value.every((one) => Array.isArray(one) || typeof one === 'string'));
      if (perCpu && value.length !== cpus)
        throw new LoadError('use', `${value.length} per-CPU values given, the map holds one per possible CPU`, {
          map: this.name,
          expected: `${cpus} values`,
          actual: `${value.length} values`,
          hint: `give an array of ${cpus} values (one per CPU in ${POSSIBLE_CPUS_PATH}), or one value for every CPU`,
        });
      const values = Array.from({ length: cpus }, (_, cpu) => (perCpu ? (value[cpu] as BtfValue) : value));
      bytes = joinPerCpu(
        this.layout,
        this.using('value', () => values.map((one) => codec.encode(one))),
        this.name,
      );
    } else bytes = this.using('value', () => codec.encode(value));
    this.update(keyBytes, bytes, flags);
  }

  /** True when the value type is itself an array, so an array given to `set` is one value, not one per CPU. */
  private valueIsArray(): boolean {
    const btf = this.btf;
    if (btf === undefined || this.spec.btfValueTypeId === 0) return false;
    return resolveType(btf, this.spec.btfValueTypeId).kind === 'array';
  }

  private keyBytes(key: BtfValue | Uint8Array): Uint8Array {
    if (key instanceof Uint8Array) return key;
    if (this.spec.btfKeyTypeId === 0 && this.layout.keySize === 4) return this.using('key', () => u32Bytes(key));
    const codec = this.codec('key');
    return this.using('key', () => codec.encode(key));
  }

  /** Runs an encode or decode, turning a {@link BtfError} into a {@link LoadError} naming the map. */
  private using<T>(which: 'key' | 'value', run: () => T): T {
    try {
      return run();
    } catch (error) {
      if (!BtfError.is(error)) throw error;
      const { expected, actual } = error.context;
      throw new LoadError(
        'use',
        which,
        {
          map: this.name,
          ...(expected === undefined ? {} : { expected: String(expected) }),
          ...(actual === undefined ? {} : { actual: String(actual) }),
          hint: `give a ${which} that fits the map's ${which} type, or bytes to lookup()/update()`,
        },
        { cause: error },
      );
    }
  }

  private codec(which: 'key' | 'value'): BtfCodec {
    const cached = which === 'key' ? this.keyCodec : this.valueCodec;
    if (cached !== undefined) return cached;
    const id = which === 'key' ? this.spec.btfKeyTypeId : this.spec.btfValueTypeId;
    const btf = this.btf;
    if (btf === undefined || id === 0) {
      if (which === 'value' && (this.spec.inner !== undefined || this.layout.type === 3)) return idCodec;
      throw new LoadError('use', `the map has no BTF ${which} type`, {
        map: this.name,
        hint: 'use lookup()/update() with bytes',
      });
    }
    const codec = btfCodec(btf, id, isLittleEndianHost);
    if (which === 'key') this.keyCodec = codec;
    else this.valueCodec = codec;
    return codec;
  }

  /**
   * The map's values mapped into this process: reads and writes of these bytes go straight
   * to kernel memory, with no system call, and BPF programs see them at once. For arrays
   * created `BPF_F_MMAPABLE` (as `.bss`, `.data` and `.data.*` are when they hold a global
   * variable); entry `i` starts at `i × valueSize` rounded up to 8. Mapped once; the object's
   * `close()` unmaps it, after which the bytes must not be touched (the memory is gone).
   * For an arena (`BPF_MAP_TYPE_ARENA`), the whole arena as the load mapped it: at
   * `map_extra`, or where the kernel chose, the address programs use for it.
   * @throws {@link LoadError} (step `use`) for a map that is not mmapable or is frozen (read
   * its unchanging values with {@link lookup}); {@link @bpfkit/syscall!BpfSyscallError} when the mapping fails.
   */
  memory(): Uint8Array {
    if (this.mapping !== undefined) return this.mapping.bytes;
    const refuse = (problem: string, hint: string): never => {
      throw new LoadError('use', problem, { map: this.name, hint });
    };
    if (this.layout.type !== MapType.ARRAY || (this.spec.flags & MapFlag.MMAPABLE) === 0)
      refuse('only arrays created BPF_F_MMAPABLE can be mapped', 'use lookup()/update(), or create the map mmapable');
    if (this.spec.freeze) refuse('the map is frozen, so it is mapped read-only', 'read its values once with lookup()');
    this.mapping = mapMemory(this.fd, Math.ceil(this.layout.valueSize / 8) * 8 * this.maxEntries, true, this.name);
    return this.mapping.bytes;
  }

  /** @internal Unmaps {@link memory}; the object calls it when it closes. */
  unmapMemory(): void {
    this.mapping?.unmap();
    this.mapping = undefined;
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
    private readonly adopt: (link: BpfLink) => void,
    /** The object's USDT maps (libbpf's spec maps), which USDT attachment fills. */
    private readonly usdtMaps: ObjectUsdtMaps,
    /** `BPF_*` expected attach type it was loaded with (usdt: UPROBE_MULTI when the kernel has those links). */
    readonly expectedAttachType: number | undefined,
    /** Whether its attachments pass BPF cookies (false: USDT spec ids go by address). */
    private readonly bpfCookies: () => boolean,
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
   * Attaches the program as its section name says (`raw_tp/…`, `tp/…`, `kprobe/…`,
   * `ksyscall/…`, `uprobe/…`, `tp_btf/…`, `xdp`, `tcx/…`, `cgroup_skb/…`, `iter/…`,
   * `socket`), through `@bpfkit/link`; `options` supply what the name cannot. The link
   * belongs to the object: closing the object closes it. Tracepoints (and probes on kernels
   * without a probe PMU) use tracefs where `/proc/self/mounts` shows it; attaching never
   * mounts it ({@link @bpfkit/link!mountTracefs} does, when asked).
   * @throws {@link @bpfkit/link!LinkError} naming the program and what the attachment needs
   * (`not-supported` when tracefs is needed and none is mounted).
   * @example
   * ```ts
   * const link = obj.program('handle_exec').attach(); // SEC("tp/sched/sched_process_exec")
   * const xdp = obj.program('drop_all').attach({ interface: 'eth0' });
   * ```
   */
  attach(options: AttachOptions = {}): BpfLink {
    const link = attachProgram(this.plan, this.fd, options, this.usdtMaps, this.expectedAttachType, this.bpfCookies());
    this.adopt(link);
    return link;
  }
}
