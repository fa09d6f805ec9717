import { statSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';

/**
 * Parses a command's file argument (an object, a raw BTF file): the path as given, once it
 * names something that is not a directory. A missing path or a directory is a usage error
 * (exit status 2) that names the argument, where reading it later would fail with Node's
 * `EISDIR: illegal operation on a directory, read`, which names no path at all.
 * @throws InvalidArgumentError for a missing path, a directory or a path that cannot be looked up.
 */
export function fileArgument(path: string): string {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ENOENT') throw new InvalidArgumentError('no such file: check the path.');
    throw new InvalidArgumentError(`it cannot be looked up (${String(code)}): check the path and its permissions.`);
  }
  if (isDirectory) throw new InvalidArgumentError('it is a directory: give a file inside it.');
  return path;
}
