import type { ElfSource } from '../src/index.js';

/**
 * An {@link ElfSource} over bytes in memory that copies each read (so nothing relies on
 * aliasing the input) and records the ranges asked for; `shrunkTo` makes reads stop there,
 * as from a file truncated after its size was taken.
 */
export class PositionedSource implements ElfSource {
  /** Every read, in order, as `[offset, length]`. */
  readonly reads: [number, number][] = [];
  readonly size: number;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly shrunkTo = bytes.length,
  ) {
    this.size = bytes.length;
  }

  read(offset: number, length: number): Uint8Array {
    this.reads.push([offset, length]);
    return this.bytes.slice(offset, Math.min(offset + length, this.shrunkTo));
  }
}
