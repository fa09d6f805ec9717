import { type ElfFile, type ElfSource, parseElfFrom } from '@bpfkit/elf';
import { LinkError, type LinkErrorContext } from './errors.js';

const { closeSync, openSync, readSync } = process.getBuiltinModule('node:fs');
const { basename } = process.getBuiltinModule('node:path');

/** A buffer grown past this size (a huge binary's symbol tables) is not kept for the next file. */
const KEEP_LIMIT = 16 * 1024 * 1024;

/** Where {@link readElfRegions} reads to: kept from one call to the next, so reads land in memory already in use. */
let kept = new Uint8Array(64 * 1024);

/**
 * Opens the ELF file at `path` (`size` bytes, from the caller's `stat`), gives `use` the file
 * parsed over positioned reads of just the parts it asks for (header, section headers, the
 * tables it decodes), and closes it. The bytes go to one buffer reused from call to call, not
 * to fresh memory per file (fresh pages cost far more than the reads on some VMs), so nothing
 * `use` returns may alias them: return numbers, strings and objects, never section bytes.
 * @throws {@link LinkError} `not-found` when the file cannot be opened or read; what `use`
 * throws (an ElfError for a malformed file) goes on as it is.
 */
export function readElfRegions<T>(path: string, size: number, context: LinkErrorContext, use: (elf: ElfFile) => T): T {
  const fd = fileOp(path, context, 'open', () => openSync(path, 'r'));
  let buffer = kept;
  let used = 0;
  const source: ElfSource = {
    size,
    read(offset, length) {
      if (used + length > buffer.length) {
        // Bytes already handed out stay in the old buffer, which they keep alive.
        buffer = new Uint8Array(Math.max(buffer.length * 2, length));
        used = 0;
      }
      const start = used;
      let done = 0;
      while (done < length) {
        const count = fileOp(path, context, 'read', () =>
          readSync(fd, buffer, start + done, length - done, offset + done),
        );
        if (count === 0) break; // the end of the file: the parser reports what is missing
        done += count;
      }
      used += done;
      return buffer.subarray(start, start + done);
    },
  };
  try {
    return use(parseElfFrom(source, { name: basename(path) }));
  } finally {
    closeSync(fd);
    if (buffer.length <= KEEP_LIMIT) kept = buffer;
  }
}

/** Runs a file call, turning a Node error into a {@link LinkError} that names the file and errno. */
function fileOp<T>(path: string, context: LinkErrorContext, what: string, call: () => T): T {
  try {
    return call();
  } catch (error) {
    const errno = (error as NodeJS.ErrnoException).code;
    throw new LinkError(
      'not-found',
      `cannot ${what} '${path}'${errno === undefined ? '' : ` (${errno})`}`,
      { ...context, path, ...(errno === undefined ? {} : { errno }) },
      undefined,
      { cause: error },
    );
  }
}
