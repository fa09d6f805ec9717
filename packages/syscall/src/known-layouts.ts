import type { MapLayout } from './value-layout.js';

/**
 * The layouts of map descriptors this thread owns through open {@link Fd}s, by descriptor
 * number, so element calls can check the layout they are given against the map without a
 * kernel call each time. An entry is made when an `Fd` opens (`null`: not read yet; the
 * layout itself for a map created here) and removed when it closes, so a number reused by
 * another object never finds the old layout. Module copies in one thread share the table.
 */
const TABLE_KEY = Symbol.for('@bpfkit/known-map-layouts');
const shared = globalThis as { [TABLE_KEY]?: Map<number, MapLayout | null> };
shared[TABLE_KEY] ??= new Map();
const known = shared[TABLE_KEY];

/** Records that an open `Fd` owns `fd`, with its layout when known (a map this process created). */
export function ownDescriptor(fd: number, layout: MapLayout | null = null): void {
  known.set(fd, layout === null ? null : { type: layout.type, keySize: layout.keySize, valueSize: layout.valueSize });
}

/** Forgets `fd` as its `Fd` closes it. */
export function disownDescriptor(fd: number): void {
  known.delete(fd);
}

/** The layout recorded for `fd`: `null` when owned but not read yet, `undefined` when not owned. */
export function knownLayout(fd: number): MapLayout | null | undefined {
  return known.get(fd);
}

/** Records the layout read from the kernel for `fd`, if an open `Fd` still owns it. */
export function rememberLayout(fd: number, layout: MapLayout): void {
  if (known.has(fd)) known.set(fd, layout);
}
