import { lstatSync, renameSync, statfsSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { pinObject } from '@bpfkit/syscall';
import { LoadError } from './errors.js';

/** `statfs(2)` f_type of a bpf filesystem (BPF_FS_MAGIC). */
const BPF_FS_MAGIC = 0xcafe4a11;

/**
 * Checks the pin root before any map is pinned or reused there: it must be a directory on a
 * bpf filesystem, so pins land in the kernel and not in an ordinary folder.
 * @throws {@link LoadError} step `pin`, saying how to mount one.
 */
export function assertPinRoot(pinRoot: string, object: string | undefined): void {
  const context = { ...(object === undefined ? {} : { object }), path: pinRoot };
  let type: number;
  try {
    type = statfsSync(pinRoot).type;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new LoadError(
      'pin',
      `pin root '${pinRoot}' cannot be used (${code}): create it and mount a bpf filesystem there (mount -t bpf bpf ${pinRoot})`,
      { ...context, ...(code === undefined ? {} : { errno: code }) },
    );
  }
  if (type !== BPF_FS_MAGIC) {
    throw new LoadError(
      'pin',
      `pin root '${pinRoot}' is not on a bpf filesystem: mount one there (mount -t bpf bpf ${pinRoot}) or pass pinRoot`,
      context,
    );
  }
}

/**
 * Refuses a pin path that is a symbolic link before a pinned map is looked up there:
 * BPF_OBJ_GET follows links, so one planted in the pin root could make us reuse a map from
 * outside it. (BPF_OBJ_PIN never follows: it fails with EEXIST on any existing entry.)
 * @throws {@link LoadError} step `pin`, naming the map and the path.
 */
export function assertNotSymlink(path: string, map: string, object: string | undefined): void {
  let isLink = false;
  try {
    isLink = lstatSync(path).isSymbolicLink();
  } catch {
    return; // Nothing there yet: the pin will create it.
  }
  if (isLink) {
    throw new LoadError(
      'pin',
      `pin path '${path}' is a symbolic link; bpfkit does not follow links out of the pin root: remove it`,
      { ...(object === undefined ? {} : { object }), map, path },
    );
  }
}

/** Options for `pin()` on maps, programs and links. */
export interface PinOptions {
  /**
   * Replace whatever is pinned at the path (atomically: pinned under a temporary name in the
   * same directory, then renamed over it). Off by default: an existing pin fails with EEXIST.
   */
  readonly replace?: boolean;
}

/** Pins `fd` at `path` in a bpffs, replacing an existing pin only when asked. */
export function pinAt(fd: number, path: string, options: PinOptions = {}): void {
  if (!options.replace) {
    pinObject(fd, path);
    return;
  }
  // bpffs refuses names with a dot in them (they are the kernel's own), hence no dot-file.
  const temporary = join(dirname(path), `bpfkit-replacing-${process.pid}-${basename(path)}`);
  pinObject(fd, temporary);
  try {
    renameSync(temporary, path);
  } catch (error) {
    unlinkSync(temporary);
    throw error;
  }
}
