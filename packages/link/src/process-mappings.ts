import { LinkError, type LinkErrorContext } from './errors.js';

const { readFileSync, realpathSync } = process.getBuiltinModule('node:fs');

/** One executable, file-backed mapping of a process (a line of `/proc/PID/maps`). */
export interface ExecutableMapping {
  /** First address of the mapping. */
  readonly start: bigint;
  /** Address just past it. */
  readonly end: bigint;
  /** File offset of `start`. */
  readonly offset: bigint;
  /** The mapped file as the process sees it (inside its mount namespace). */
  readonly path: string;
}

/** The executable, file-backed mappings listed in `/proc/PID/maps` text. */
function parseExecutableMappings(text: string): ExecutableMapping[] {
  const mappings: ExecutableMapping[] = [];
  for (const line of text.split('\n')) {
    const match = /^([0-9a-f]+)-([0-9a-f]+) ..x. ([0-9a-f]+) \S+ \d+\s+(\/.*)$/.exec(line);
    if (match === null) continue;
    mappings.push({
      start: BigInt(`0x${match[1]}`),
      end: BigInt(`0x${match[2]}`),
      offset: BigInt(`0x${match[3]}`),
      path: (match[4] as string).replace(/ \(deleted\)$/, ''),
    });
  }
  return mappings;
}

/**
 * The executable, file-backed mappings of process `pid`, from `/proc/PID/maps`.
 * @throws {@link LinkError} `not-found` when the process does not exist (or cannot be read).
 */
export function executableMappings(pid: number, context: LinkErrorContext): ExecutableMapping[] {
  const path = `/proc/${pid}/maps`;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new LinkError('not-found', `cannot read '${path}': no such process?`, { ...context, path }, undefined, {
      cause: error,
    });
  }
  return parseExecutableMappings(text);
}

/**
 * The name file `path` has in the mappings of process `pid`: a path under
 * `/proc/PID/root` (a file seen through the process's own root, as in a container) is
 * named from that root; any other path is resolved through symlinks, as the kernel names
 * mapped files.
 */
function mappedName(pid: number, path: string): string {
  const root = `/proc/${pid}/root/`;
  if (path.startsWith(root)) return path.slice(root.length - 1);
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * The addresses at which file offsets `fileOffsets` of the ELF file `path` are mapped
 * executable in process `pid` (`start − offset + fileOffset` of the mapping holding each),
 * what a uprobe's instruction pointer is there: how USDT probes of PIE executables and
 * shared libraries are found by address without BPF cookies (libbpf does the same). The
 * process's mappings are read once for all offsets.
 * @throws {@link LinkError} `not-found` when the process does not exist, or does not map one
 * of the offsets executable.
 */
export function mappedAddresses(
  pid: number,
  path: string,
  fileOffsets: readonly number[],
  context: LinkErrorContext,
): bigint[] {
  const name = mappedName(pid, path);
  const mappings = executableMappings(pid, context).filter((m) => m.path === name);
  return fileOffsets.map((fileOffset) => {
    const offset = BigInt(fileOffset);
    const mapping = mappings.find((m) => offset >= m.offset && offset < m.offset + m.end - m.start);
    if (mapping === undefined) {
      throw new LinkError(
        'not-found',
        `process ${pid} does not map file offset 0x${fileOffset.toString(16)} of '${path}' executable`,
        { ...context, path },
        'give the pid of a process that runs the executable or has loaded the library',
      );
    }
    return mapping.start - mapping.offset + offset;
  });
}
