import { MapType } from '@bpfkit/uapi';
import type { MapSpec } from './spec.js';

/** What the running system decides about map sizes: read by the loader, passed in here. */
export interface MapKernelFacts {
  /** CPUs the kernel may bring up (`/sys/devices/system/cpu/possible`). */
  readonly possibleCpus: number;
  /** The memory page size in bytes. */
  readonly pageSize: number;
}

/**
 * The size a ring buffer is created with, by libbpf's rule: the kernel wants a power-of-two
 * number of pages, so a size that is not one is rounded up to the smallest such size above
 * it; 0 stays 0 (the kernel reports it), and a size no 32-bit power of two fits stays as is.
 */
export function ringBufferSize(size: number, pageSize: number): number {
  if (size === 0) return 0;
  const pages = size / pageSize;
  if (Number.isInteger(pages) && (pages & (pages - 1)) === 0) return size;
  for (let bytes = pageSize; bytes <= 0xffffffff; bytes *= 2) if (bytes > size) return bytes;
  return size;
}

/**
 * Fills in what libbpf decides for a map from the running system just before creating it,
 * in place (inner definitions too): a PERF_EVENT_ARRAY without `max_entries` gets one slot
 * per possible CPU, and RINGBUF and USER_RINGBUF sizes become a power-of-two number of
 * pages ({@link ringBufferSize}). Other maps are left alone.
 */
export function applyKernelDefaults(maps: readonly MapSpec[], facts: MapKernelFacts): void {
  for (const spec of maps) {
    applyTo(spec, facts);
    if (spec.inner !== undefined) applyTo(spec.inner, facts);
  }
}

function applyTo(spec: MapSpec, facts: MapKernelFacts): void {
  if (spec.type === MapType.PERF_EVENT_ARRAY && spec.maxEntries === 0) spec.maxEntries = facts.possibleCpus;
  if (spec.type === MapType.RINGBUF || spec.type === MapType.USER_RINGBUF) {
    spec.maxEntries = ringBufferSize(spec.maxEntries, facts.pageSize);
  }
}
