import type { Stats } from 'node:fs';
import { BpfCommand } from '@bpfkit/uapi';
import { Errno } from './errno.js';
import { BpfSyscallError, type BpfSyscallErrorContext } from './errors.js';
import type { Fd } from './fd.js';
import { getPinnedObject, pinObject } from './objects.js';

const { closeSync, constants, fstatSync, openSync, readdirSync, renameSync, statfsSync, unlinkSync } =
  process.getBuiltinModule('node:fs');
const { basename, dirname } = process.getBuiltinModule('node:path');

/**
 * `bytes` random bytes in hex, from the global Web Crypto (loaded on first use: importing
 * `node:crypto` costs a fresh process milliseconds that only a replacing pin needs).
 */
function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** `statfs(2)` f_type of a bpf filesystem (BPF_FS_MAGIC). */
const BPF_FS_MAGIC = 0xcafe4a11;
/** `O_PATH` (the same value on every architecture bpfkit supports; Node does not export it). */
const O_PATH = 0o10000000;
const S_ISVTX = 0o1000;
/** Permission bits that let group or others create, rename and unlink entries. */
const WRITABLE_BY_OTHERS = 0o022;
/** Temporary `replace` pins: `bpfkit-replacing-<pid>-<16 hex digits>` (bpffs refuses dots). */
const TEMPORARY_PREFIX = 'bpfkit-replacing-';
const TEMPORARY_NAME = /^bpfkit-replacing-(\d+)-[0-9a-f]{16}$/;
/** A temporary pin younger than this may belong to a replace in flight in another pid namespace. */
const STALE_AFTER_MS = 60_000;

/** The effective uid, whose entries (and root's) are trusted. */
function ourUid(): number {
  return process.geteuid?.() ?? 0;
}

/** Uids whose directories and pins we trust: ours, and root (who could change ours anyway). */
function trusted(uid: number): boolean {
  return uid === ourUid() || uid === 0;
}

function errnoOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

/** The positive errno of a failed Node fs call (Node reports it negated), EIO when it has none. */
function errnoNumber(error: unknown): number {
  const errno = (error as NodeJS.ErrnoException).errno;
  return errno === undefined ? Errno.EIO : Math.abs(errno);
}

/**
 * A pin directory or pinned entry refused by the checks below, before any bpf(2) call:
 * `reason` says what is wrong, `hint` what to do, `errno` classifies it.
 */
function refused(
  command: number | string,
  errno: number,
  reason: string,
  context: BpfSyscallErrorContext,
  hint: string,
): BpfSyscallError {
  return new BpfSyscallError(command, errno, { ...context, reason }, [], {}, hint);
}

/** The command named by errors about the pin directory itself. */
const OPEN_DIRECTORY = 'open pin directory';

/** True while process `pid` exists in our pid namespace (`kill(pid, 0)`). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoOf(error) !== 'ESRCH';
  }
}

/**
 * A bpffs directory opened once and checked through its descriptor, in which pins are made,
 * opened and replaced by name. This is what makes pinning safe in a directory others can
 * write to (`/sys/fs/bpf` and a fresh bpffs are mode 1777):
 *
 * - The directory is opened with `O_PATH|O_DIRECTORY|O_NOFOLLOW` and checked through that
 *   descriptor: on a bpf filesystem, owned by us or root, and if group or others may write
 *   to it, sticky. In a sticky directory no one else can rename or unlink an entry we own;
 *   in one only we and root can write to, no one else can touch any. Every later name is
 *   resolved inside that descriptor (`/proc/self/fd/<dir>/<name>`), so swapping the
 *   directory, or a link on the way to it, after the check changes nothing.
 * - An existing pin is opened with `O_PATH|O_NOFOLLOW` first, which binds a descriptor to
 *   the entry itself (a symbolic link stays a link), and that inode is checked: a regular
 *   bpffs file in this directory, owned by us or root. BPF_OBJ_GET is then given
 *   `/proc/self/fd/<entry>`, which resolves to exactly the inode checked, whatever the name
 *   points to by then. Checking the name and then calling BPF_OBJ_GET on it is not enough:
 *   BPF_OBJ_GET always follows a final symbolic link, also with `path_fd` and
 *   BPF_F_PATH_FD (Linux 6.5+), which fix the directory but not the last component.
 * - BPF_OBJ_PIN never follows a final link and fails with EEXIST on any existing entry;
 *   resolved inside the checked directory it lands where it was checked.
 *
 * Needs `/proc` mounted (without it, opening a pin fails rather than guess).
 */
export class PinDirectory {
  private constructor(
    /** The directory, as given. */
    readonly path: string,
    private dirFd: number,
    private readonly dirStats: Stats,
    private readonly context: BpfSyscallErrorContext,
  ) {}

  /**
   * Opens and checks the pin directory `path`.
   * @throws {@link BpfSyscallError} (command `open pin directory`, `context.reason` saying
   * what is wrong, a hint saying what to do) when it is missing (`not-found`), a link or not
   * a directory (`invalid`), not a bpffs (`invalid`), owned by another user, or writable by
   * others without the sticky bit (`permission`).
   */
  static open(path: string, object?: string): PinDirectory {
    const context = { ...(object === undefined ? {} : { object }), path };
    let fd: number;
    try {
      fd = openSync(path, O_PATH | constants.O_DIRECTORY | constants.O_NOFOLLOW);
    } catch (error) {
      const code = errnoOf(error);
      throw code === 'ELOOP' || code === 'ENOTDIR'
        ? refused(
            OPEN_DIRECTORY,
            errnoNumber(error),
            `pin directory '${path}' is a symbolic link or not a directory`,
            context,
            'pass the bpffs directory itself',
          )
        : refused(
            OPEN_DIRECTORY,
            errnoNumber(error),
            `pin directory '${path}' cannot be opened`,
            context,
            `create it and mount a bpf filesystem there (mount -t bpf bpf ${path})`,
          );
    }
    try {
      const stats = fstatSync(fd);
      PinDirectory.check(path, fd, stats, context);
      return new PinDirectory(path, fd, stats, context);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  private static check(path: string, fd: number, stats: Stats, context: BpfSyscallErrorContext): void {
    if (statfsSync(`/proc/self/fd/${fd}`).type !== BPF_FS_MAGIC) {
      throw refused(
        OPEN_DIRECTORY,
        Errno.EINVAL,
        `pin directory '${path}' is not on a bpf filesystem`,
        context,
        `mount one there (mount -t bpf bpf ${path}) or pin in another directory (the loader's pinRoot)`,
      );
    }
    if (!trusted(stats.uid)) {
      throw refused(
        OPEN_DIRECTORY,
        Errno.EACCES,
        `pin directory '${path}' belongs to uid ${stats.uid}, who could swap the pins in it`,
        context,
        `use a directory owned by uid ${ourUid()} or root`,
      );
    }
    if ((stats.mode & WRITABLE_BY_OTHERS) !== 0 && (stats.mode & S_ISVTX) === 0) {
      const mode = (stats.mode & 0o7777).toString(8).padStart(4, '0');
      throw refused(
        OPEN_DIRECTORY,
        Errno.EACCES,
        `pin directory '${path}' (mode ${mode}) is writable by others and not sticky, so they could swap the pins in it`,
        context,
        'chmod +t or go-w it',
      );
    }
  }

  /** `name` resolved inside the checked directory, whatever its path leads to now. */
  private at(name: string): string {
    return `/proc/self/fd/${this.dirFd}/${name}`;
  }

  /** The path errors and logs name. */
  private shown(name: string): string {
    return `${this.path.replace(/\/+$/, '')}/${name}`;
  }

  /**
   * Opens the object pinned as `name`, or returns `undefined` when nothing is there.
   * @throws {@link BpfSyscallError} (command BPF_OBJ_GET, naming the path, `context.reason`
   * saying what is wrong) when the entry is a symbolic link (`invalid`), not a pinned object
   * of this bpffs (`invalid`), or owned by someone other than us or root (`permission`).
   */
  openPinned(name: string, map?: string): Fd | undefined {
    const path = this.shown(name);
    const context = { ...this.context, ...(map === undefined ? {} : { map }), path };
    let entry: number;
    try {
      entry = openSync(this.at(name), O_PATH | constants.O_NOFOLLOW);
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return undefined;
      throw refused(
        BpfCommand.OBJ_GET,
        errnoNumber(error),
        `pin path '${path}' cannot be opened`,
        context,
        'check the path and its permissions',
      );
    }
    try {
      const stats = fstatSync(entry);
      if (stats.isSymbolicLink()) {
        throw refused(
          BpfCommand.OBJ_GET,
          Errno.ELOOP,
          `pin path '${path}' is a symbolic link; bpfkit does not follow links out of the pin directory`,
          context,
          'remove it',
        );
      }
      if (!stats.isFile() || stats.dev !== this.dirStats.dev) {
        throw refused(
          BpfCommand.OBJ_GET,
          Errno.EINVAL,
          `pin path '${path}' is not an object pinned in this bpf filesystem`,
          context,
          'pin objects only at paths of the bpf filesystem itself',
        );
      }
      if (!trusted(stats.uid)) {
        throw refused(
          BpfCommand.OBJ_GET,
          Errno.EACCES,
          `pin path '${path}' belongs to uid ${stats.uid}, not to uid ${ourUid()} or root, so anyone could have pinned it`,
          context,
          'remove it',
        );
      }
      return getPinnedObject(`/proc/self/fd/${entry}`, 0, path);
    } finally {
      closeSync(entry);
    }
  }

  /**
   * Pins `fd` as `name`. With `replace`, an existing pin is swapped out atomically: `fd` is
   * pinned under a temporary name unique to this call, then renamed over `name`; temporary
   * pins that crashed processes left behind are removed first.
   * @throws {@link BpfSyscallError} EEXIST when something is there already and not `replace`.
   */
  pin(fd: number, name: string, options: PinOptions = {}): void {
    if (!options.replace) {
      pinObject(fd, this.at(name), this.shown(name));
      return;
    }
    this.removeStaleTemporaries();
    const temporary = `${TEMPORARY_PREFIX}${process.pid}-${randomHex(8)}`;
    pinObject(fd, this.at(temporary), this.shown(temporary));
    try {
      renameSync(this.at(temporary), this.at(name));
    } catch (error) {
      unlinkSync(this.at(temporary));
      throw error;
    }
  }

  /** Removes the pin `name` (undoing a pin of ours). */
  unpin(name: string): void {
    unlinkSync(this.at(name));
  }

  /**
   * Removes temporary `replace` pins of processes that are gone: only entries named as ours
   * are, owned by our uid, a minute old or more (older than any replace in flight, even one
   * of another pid namespace sharing this bpffs) and whose process no longer exists. In a
   * directory that passed {@link open}'s checks, no one else can swap such an entry between
   * the check and the unlink.
   */
  private removeStaleTemporaries(): void {
    const now = Date.now();
    for (const name of readdirSync(this.at(''))) {
      const pid = TEMPORARY_NAME.exec(name)?.[1];
      if (pid === undefined || Number(pid) === process.pid || processAlive(Number(pid))) continue;
      let stats: Stats;
      try {
        const entry = openSync(this.at(name), O_PATH | constants.O_NOFOLLOW);
        try {
          stats = fstatSync(entry);
        } finally {
          closeSync(entry);
        }
      } catch {
        continue; // Removed meanwhile.
      }
      if (!stats.isFile() || stats.uid !== ourUid() || now - stats.mtimeMs < STALE_AFTER_MS) continue;
      try {
        unlinkSync(this.at(name));
      } catch {
        // Another process cleaned it up first.
      }
    }
  }

  /** Closes the directory's descriptor; later calls do nothing. */
  close(): void {
    if (this.dirFd < 0) return;
    closeSync(this.dirFd);
    this.dirFd = -1;
  }

  /** Same as {@link close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
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

/**
 * Pins `fd` at `path` in a bpffs, replacing an existing pin only when asked; the directory
 * is checked as {@link PinDirectory} describes.
 * @throws {@link BpfSyscallError} when the directory fails its checks, or EEXIST when
 * something is pinned there already and not `replace`.
 */
export function pinAt(fd: number, path: string, options: PinOptions = {}): void {
  const directory = PinDirectory.open(dirname(path));
  try {
    directory.pin(fd, basename(path), options);
  } finally {
    directory.close();
  }
}

/**
 * Opens the object pinned at `path` (BPF_OBJ_GET) after the checks {@link PinDirectory}
 * describes: the directory and the entry are opened without following links and checked,
 * and the kernel opens exactly the inode checked.
 * @throws {@link BpfSyscallError} `not-found` (ENOENT) when nothing is pinned there, or as
 * {@link PinDirectory.open} and {@link PinDirectory.openPinned} describe.
 */
export function openPinned(path: string): Fd {
  const directory = PinDirectory.open(dirname(path));
  try {
    const fd = directory.openPinned(basename(path));
    if (fd === undefined) {
      throw refused(BpfCommand.OBJ_GET, Errno.ENOENT, `nothing is pinned at '${path}'`, { path }, 'pin it first');
    }
    return fd;
  } finally {
    directory.close();
  }
}
