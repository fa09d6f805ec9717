// The objects a compatibility run covers: every `.o` under a directory, found the way a user
// lays a corpus out (nested folders, and links to objects kept elsewhere).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Every `.o` under `dir` (searched recursively), in sorted order: regular files and symbolic
 * links that end at a regular file. A link that ends nowhere, or at a directory, is not an
 * object (the search does not descend through linked directories).
 */
export function objectsUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.name.endsWith('.o'))
    .map((entry) => ({ entry, path: join(entry.parentPath, entry.name) }))
    .filter(({ entry, path }) => entry.isFile() || (entry.isSymbolicLink() && linksToFile(path)))
    .map(({ path }) => path)
    .sort();
}

/** Whether the symbolic link at `path` ends at a regular file. */
function linksToFile(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
}
