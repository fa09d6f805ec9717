import { LinkError } from './errors.js';

const { existsSync, readFileSync } = process.getBuiltinModule('node:fs');
const { createRequire } = process.getBuiltinModule('node:module');

/** Where tracefs is mounted on current kernels. */
export const TRACEFS_DEFAULT = '/sys/kernel/tracing';

/** Mount points of tracefs in `/proc/self/mounts`, then `<debugfs>/tracing` (older setups). */
function mountedTracefs(mounts: string): string[] {
  const found: string[] = [];
  for (const line of mounts.split('\n')) {
    const [, dir, type] = line.split(' ');
    if (dir === undefined) continue;
    // Mount points escape spaces and tabs as octal (\040).
    const path = dir.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
    if (type === 'tracefs') found.push(path);
    else if (type === 'debugfs' && existsSync(`${path}/tracing/events`)) found.push(`${path}/tracing`);
  }
  return found;
}

/**
 * The directory tracefs is mounted at (`/sys/kernel/tracing` usually), read from the mount
 * table: tracepoint ids, `kprobe_events` and `uprobe_events` live there. Never mounts it.
 * @throws {@link LinkError} `not-supported` naming what needed it when no tracefs is mounted,
 * with the command (or {@link mountTracefs}) that mounts one.
 */
export function tracefsRoot(purpose: string): string {
  const found = mountedTracefs(readFileSync('/proc/self/mounts', 'utf8'));
  const root = found.find((dir) => existsSync(`${dir}/events`));
  if (root !== undefined) return root;
  throw new LinkError(
    'not-supported',
    `${purpose} needs tracefs, and none is mounted`,
    { path: TRACEFS_DEFAULT },
    `mount it with 'mount -t tracefs nodev ${TRACEFS_DEFAULT}' or mountTracefs() (needs root)`,
  );
}

/**
 * Mounts tracefs at `dir` (default `/sys/kernel/tracing`) unless one is mounted already;
 * returns where it is. Attaching never calls this on its own: mounting changes the
 * machine, so a program asks for it.
 */
export function mountTracefs(dir = TRACEFS_DEFAULT): string {
  const found = mountedTracefs(readFileSync('/proc/self/mounts', 'utf8'));
  if (found.length > 0) return found[0] as string;
  // Loaded here, not imported: `node:child_process` costs a fresh process milliseconds to load.
  const { execFileSync } = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
  execFileSync('mount', ['-t', 'tracefs', 'nodev', dir]);
  return dir;
}
