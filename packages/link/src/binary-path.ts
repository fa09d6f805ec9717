import { type FileStat, statFile } from '@bpfkit/syscall';
import { LinkError, type LinkErrorContext } from './errors.js';

const { delimiter } = process.getBuiltinModule('node:path');

/** Where shared libraries are looked for after `LD_LIBRARY_PATH`, as libbpf does (plus Debian's multiarch directories). */
const libraryDirectories: Readonly<Record<string, readonly string[]>> = {
  x64: ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu'],
  arm64: ['/lib/aarch64-linux-gnu', '/usr/lib/aarch64-linux-gnu'],
  riscv64: ['/lib/riscv64-linux-gnu', '/usr/lib/riscv64-linux-gnu'],
  s390x: ['/lib/s390x-linux-gnu', '/usr/lib/s390x-linux-gnu'],
  ppc64: ['/lib/powerpc64le-linux-gnu', '/usr/lib/powerpc64le-linux-gnu'],
};

/** The directories searched for `name`: the library path for `*.so*` names, `PATH` for programs. */
export function searchDirectories(name: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const split = (value: string | undefined) => (value ?? '').split(delimiter).filter((dir) => dir !== '');
  if (!name.includes('.so')) return split(env.PATH);
  return [
    ...split(env.LD_LIBRARY_PATH),
    ...(libraryDirectories[process.arch] ?? []),
    '/lib64',
    '/usr/lib64',
    '/lib',
    '/usr/lib',
  ];
}

/**
 * The file a uprobe names: a path (anything with a `/`) as it is, else the first regular
 * file called `name` in the library search path (`libc.so.6`) or in `PATH` (`bash`).
 * @throws {@link LinkError} `not-found` naming the directories searched.
 */
export function resolveBinaryPath(name: string, context: LinkErrorContext): string {
  return findBinary(name, context).path;
}

/** `path`'s `stat` when it is a regular file; EACCES, ENOTDIR: not a file we can probe, as for a missing one. */
function regularFile(path: string): FileStat | undefined {
  const stat = statFile(path);
  return stat?.regular ? stat : undefined;
}

/** {@link resolveBinaryPath}, with the file's `stat` (one call per candidate), which the binary cache checks. */
export function findBinary(name: string, context: LinkErrorContext): { path: string; stat: FileStat } {
  if (name.includes('/')) {
    const stat = regularFile(name);
    if (stat !== undefined) return { path: name, stat };
    throw new LinkError('not-found', `no file '${name}'`, { ...context, path: name });
  }
  const directories = searchDirectories(name);
  for (const dir of directories) {
    const path = `${dir}/${name}`;
    const stat = regularFile(path);
    if (stat !== undefined) return { path, stat };
  }
  throw new LinkError(
    'not-found',
    `no '${name}' in ${directories.join(delimiter)}`,
    { ...context, path: name },
    'give the full path',
  );
}
