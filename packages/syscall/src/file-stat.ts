import { isLittleEndianHost } from './attr.js';
import { getBackend, STATX_SIZE } from './backend.js';

const { statSync } = process.getBuiltinModule('node:fs');

/** What `stat` says of a file that tells one version of it from another, and its kind. */
export interface FileStat {
  /** Size in bytes. */
  readonly size: number;
  /** Modification time in ms, as Node's `Stats.mtimeMs` reads it (`tv_sec × 1000 + tv_nsec / 10⁶`). */
  readonly mtimeMs: number;
  /** Inode number. */
  readonly ino: number;
  /** True for a regular file. */
  readonly regular: boolean;
}

/** `struct statx` field offsets (the same on every architecture). */
const STX_MODE = 28;
const STX_INO = 32;
const STX_SIZE = 40;
const STX_MTIME_SEC = 112;
const STX_MTIME_NSEC = 120;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;

/** The `struct statx` the backend writes, kept from one call to the next (the kernel fills it during the call). */
const statxBuffer = new Uint8Array(STATX_SIZE);
const statxView = new DataView(statxBuffer.buffer);

/**
 * `stat` of `path` (symbolic links followed), or undefined when it cannot be had (no such
 * file, EACCES, ENOTDIR). Through the FFI's `statx` into one kept buffer where the backend
 * has it, which skips the four `Date`s and the `Stats` object Node 20's `statSync` builds
 * per call; else Node's `statSync`. Both give the same numbers.
 */
export function statFile(path: string): FileStat | undefined {
  const backend = getBackend();
  if (backend.statx === undefined) return nodeStat(path);
  if (backend.statx(path, statxBuffer) < 0) return undefined;
  const le = isLittleEndianHost;
  return {
    size: Number(statxView.getBigUint64(STX_SIZE, le)),
    mtimeMs:
      Number(statxView.getBigInt64(STX_MTIME_SEC, le)) * 1000 + statxView.getUint32(STX_MTIME_NSEC, le) / 1_000_000,
    ino: Number(statxView.getBigUint64(STX_INO, le)),
    regular: (statxView.getUint16(STX_MODE, le) & S_IFMT) === S_IFREG,
  };
}

/** {@link statFile} through Node's `statSync`. */
function nodeStat(path: string): FileStat | undefined {
  try {
    const stat = statSync(path, { throwIfNoEntry: false });
    return stat === undefined
      ? undefined
      : { size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino, regular: stat.isFile() };
  } catch {
    return undefined; // EACCES, ENOTDIR
  }
}
