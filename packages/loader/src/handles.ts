import type { MapSpec } from '@bpfkit/maps';
import type { ProgramPlan } from '@bpfkit/reloc';
import {
  type Fd,
  type MapInfo,
  mapDelete,
  mapInfo,
  mapLookup,
  mapNextKey,
  mapUpdate,
  type ProgramInfo,
  pinObject,
  programInfo,
  type TestRunOptions,
  type TestRunResult,
  testRun,
} from '@bpfkit/syscall';

/** Map types whose values are one slot per possible CPU. */
const perCpuTypes = new Set([5, 6, 10, 21]);

/** A map living in the kernel, owned by its {@link BpfObject}. */
export class BpfMap {
  /** @internal */
  constructor(
    /** The definition it was created from. */
    readonly spec: MapSpec,
    private readonly handle: Fd,
    private readonly possibleCpus: number,
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

  /** Every `[key, value]` pair still present while iterating. */
  *entries(): Generator<[Uint8Array, Uint8Array]> {
    for (const key of this.keys()) {
      const value = this.lookup(key);
      if (value !== undefined) yield [key, value];
    }
  }

  /** Pins the map at `path` in a bpffs. */
  pin(path: string): void {
    pinObject(this.fd, path);
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

  /** Pins the program at `path` in a bpffs. */
  pin(path: string): void {
    pinObject(this.fd, path);
  }
}
