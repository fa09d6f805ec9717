/**
 * Node-only helpers of `@bpfkit/elf`: open an ELF object from a path.
 *
 * @module @bpfkit/elf/node
 */
import { type ElfFile, parseElf } from '@bpfkit/elf';

const { readFileSync } = process.getBuiltinModule('node:fs');
const { basename } = process.getBuiltinModule('node:path');

/** Reads and opens an ELF file from disk (Node only); errors name the file. */
export function openElfFileSync(path: string): ElfFile {
  const buffer = readFileSync(path);
  // A view of the Buffer's bytes, not a copy: binaries probed by uprobes can be large.
  return parseElf(new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength), { name: basename(path) });
}

/** Reads and opens an ELF file from disk without blocking (Node only); errors name the file. */
export async function openElfFile(path: string): Promise<ElfFile> {
  // node:fs/promises is loaded here, on first use: a process that never reads asynchronously
  // does not pay for loading it (about 0.3 ms of a fresh process's start).
  const { readFile } = process.getBuiltinModule('node:fs/promises');
  return parseElf(new Uint8Array(await readFile(path)), { name: basename(path) });
}
