/**
 * Where an ELF file's bytes come from when the file is not held in memory whole: positioned
 * reads, as from a file descriptor. {@link parseElfFrom} asks only for what it decodes (the
 * header, the section header table, then each section's bytes on first use), so scanning a
 * symbol table reads that table and its strings, not the code around them.
 */
export interface ElfSource {
  /** The file's size in bytes: what extents are checked against. */
  readonly size: number;
  /**
   * The `length` bytes at file offset `offset`; fewer only when the file ends first (it
   * shrank after `size` was taken). The bytes must stay unchanged while the file is in use.
   */
  read(offset: number, length: number): Uint8Array;
}
