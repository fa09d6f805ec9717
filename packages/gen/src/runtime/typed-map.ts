import { GenError } from '../errors.js';
import type { GeneratedCodec } from './codec.js';

/** What a typed map needs of a loaded map (`@bpfkit/loader`'s `BpfMap` has it). */
export interface RawMap {
  /** Name, for errors. */
  readonly name: string;
  /** Value size in bytes (one CPU's, for per-CPU maps). */
  readonly valueSize: number;
  /** Bytes a lookup returns (all CPUs' values, for per-CPU maps). */
  readonly lookupSize: number;
  /** The value bytes at `key`, or undefined when there is none. */
  lookup(key: Uint8Array): Uint8Array | undefined;
  /** Writes `value` at `key` (`flags`: BPF_ANY, BPF_NOEXIST, BPF_EXIST). */
  update(key: Uint8Array, value: Uint8Array, flags?: number): void;
  /** Removes `key`; true when it was there. */
  delete(key: Uint8Array): boolean;
  /** Every key, in the kernel's order. */
  keys(): Iterable<Uint8Array>;
}

const view = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** A map whose keys and values are read and written through generated codecs. */
export class TypedMap<K, V> {
  constructor(
    /** The loaded map underneath. */
    readonly raw: RawMap,
    private readonly key: GeneratedCodec<K>,
    private readonly value: GeneratedCodec<V>,
  ) {}

  /** The value at `key`, or `undefined`. */
  get(key: K): V | undefined {
    const bytes = this.raw.lookup(this.key.encode(key));
    return bytes === undefined ? undefined : this.value.decode(bytes);
  }

  /** Writes `value` at `key` (`flags`: BPF_ANY, BPF_NOEXIST, BPF_EXIST). */
  set(key: K, value: V, flags = 0): void {
    this.raw.update(this.key.encode(key), this.value.encode(value), flags);
  }

  /** Deletes `key`; true when it was there. */
  delete(key: K): boolean {
    return this.raw.delete(this.key.encode(key));
  }

  /** Every key, in the kernel's order. */
  *keys(): Generator<K> {
    for (const key of this.raw.keys()) yield this.key.decode(key);
  }

  /** Every `[key, value]` pair still present while iterating. */
  *entries(): Generator<[K, V]> {
    for (const key of this.raw.keys()) {
      const bytes = this.raw.lookup(key);
      if (bytes !== undefined) yield [this.key.decode(key), this.value.decode(bytes)];
    }
  }
}

/**
 * A per-CPU map (`PERCPU_ARRAY`, `PERCPU_HASH`, `LRU_PERCPU_HASH`): every lookup gives one
 * value per possible CPU, each in a slot of the value size rounded up to 8 bytes.
 */
export class PerCpuTypedMap<K, V> {
  constructor(
    /** The loaded map underneath. */
    readonly raw: RawMap,
    private readonly key: GeneratedCodec<K>,
    private readonly value: GeneratedCodec<V>,
  ) {}

  /** Bytes between two CPUs' values. */
  private get stride(): number {
    return Math.ceil(this.raw.valueSize / 8) * 8;
  }

  /** How many values a lookup gives: one per possible CPU. */
  get cpus(): number {
    return this.raw.lookupSize / this.stride;
  }

  /** The values at `key`, one per possible CPU (index = CPU number), or `undefined`. */
  get(key: K): V[] | undefined {
    const bytes = this.raw.lookup(this.key.encode(key));
    return bytes === undefined ? undefined : this.perCpu(bytes);
  }

  /**
   * Writes one value per possible CPU at `key` (`flags`: BPF_ANY, BPF_NOEXIST, BPF_EXIST).
   * @throws {@link GenError} `out-of-range` when `values` does not have one value per possible CPU.
   */
  set(key: K, values: readonly V[], flags = 0): void {
    if (values.length !== this.cpus)
      throw new GenError('out-of-range', 'a per-CPU map takes one value per possible CPU', {
        field: this.raw.name,
        expected: `${this.cpus} values`,
        actual: `${values.length} values`,
      });
    const bytes = new Uint8Array(this.raw.lookupSize);
    const v = view(bytes);
    values.forEach((value, cpu) => {
      this.value.fill(v, cpu * this.stride, value);
    });
    this.raw.update(this.key.encode(key), bytes, flags);
  }

  /** Deletes `key`; true when it was there. */
  delete(key: K): boolean {
    return this.raw.delete(this.key.encode(key));
  }

  /** Every key, in the kernel's order. */
  *keys(): Generator<K> {
    for (const key of this.raw.keys()) yield this.key.decode(key);
  }

  /** Every `[key, values]` pair still present while iterating, with one value per possible CPU. */
  *entries(): Generator<[K, V[]]> {
    for (const key of this.raw.keys()) {
      const bytes = this.raw.lookup(key);
      if (bytes !== undefined) yield [this.key.decode(key), this.perCpu(bytes)];
    }
  }

  private perCpu(bytes: Uint8Array): V[] {
    const v = view(bytes);
    return Array.from({ length: this.cpus }, (_, cpu) => this.value.read(v, cpu * this.stride));
  }
}
