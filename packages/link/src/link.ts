import {
  createIterator,
  detachLink,
  type Fd,
  type LinkInfo,
  linkInfo,
  openPinned,
  type PinOptions,
  pinAt,
  readIterator,
  updateLink,
} from '@bpfkit/syscall';
import { kernelStep, LinkError } from './errors.js';

/** What else closing an attachment undoes (a socket filter to detach, a tracefs probe to remove). */
export type Release = () => void;

/**
 * An attached program. For bpf links (everything but socket filters) it owns the link fd,
 * and the perf event fds behind perf-event links; closing it detaches the program and
 * undoes what attaching set up (a tracefs probe event, a socket filter).
 */
export class Link {
  private closed = false;

  /** @internal built by the attach functions of this package and {@link openPinnedLink} */
  constructor(
    /** How the program is attached (`kprobe`, `uprobe`, `usdt`, `tracepoint`, `xdp`, `cgroup`…). */
    readonly kind: string,
    private readonly handle: Fd | undefined,
    /** Other fds the attachment keeps open (perf events), closed after the link. */
    private readonly extra: readonly Fd[] = [],
    /** Run last when the link closes. */
    private readonly release?: Release,
  ) {}

  /** The link fd, or -1 for socket filters and after close. */
  get fd(): number {
    return this.handle?.open ? this.handle.fd : -1;
  }

  /** BPF_OBJ_GET_INFO_BY_FD of the link (type, id, program id). */
  info(): LinkInfo {
    const fd = this.requireFd();
    return kernelStep('read link info', { kind: this.kind }, () => linkInfo(fd));
  }

  /** Replaces the attached program (BPF_LINK_UPDATE); only when it is still `expectedFd`, if given. */
  update(programFd: number, expectedFd?: number): void {
    const fd = this.requireFd();
    kernelStep('update link', { kind: this.kind }, () => updateLink(fd, programFd, expectedFd));
  }

  /** Detaches now (BPF_LINK_DETACH), keeping the fd open until {@link close}. */
  detach(): void {
    const fd = this.requireFd();
    kernelStep('detach link', { kind: this.kind }, () => detachLink(fd));
  }

  /**
   * Pins the link at `path` in a bpffs, so the attachment outlives the process
   * ({@link openPinnedLink} reopens it). The directory is checked first (a bpffs, not a
   * symbolic link, not one others could swap pins in); `replace` swaps an existing pin atomically.
   */
  pin(path: string, options: PinOptions = {}): void {
    const fd = this.requireFd();
    kernelStep('pin link', { kind: this.kind, path }, () => pinAt(fd, path, options));
  }

  /** For iterator links: runs the iterator once and returns everything it wrote. */
  read(): Uint8Array {
    const fd = this.requireFd();
    return kernelStep('run iterator', { kind: this.kind }, () => {
      const iterator = createIterator(fd);
      try {
        return readIterator(iterator.fd);
      } finally {
        iterator.close();
      }
    });
  }

  /**
   * @internal A link of kind `kind` owning what this one owned, plus `release` run last
   * on close; this one is left closed (for kinds built on others, as USDT on uprobe.multi).
   */
  handOver(kind: string, release: Release): Link {
    this.closed = true;
    const previous = this.release;
    return new Link(kind, this.handle, this.extra, () => {
      previous?.();
      release();
    });
  }

  /** Detaches and releases the attachment; idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.handle?.close();
    for (const fd of this.extra) fd.close();
    this.release?.();
  }

  /** Same as {@link close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  private requireFd(): number {
    if (this.handle === undefined || !this.handle.open)
      throw new LinkError('no-link', 'this attachment has no open link fd', { kind: this.kind });
    return this.handle.fd;
  }
}

/**
 * Opens the link pinned at `path` (BPF_OBJ_GET), refusing a symbolic link, a directory that
 * is not a bpffs or one others could swap pins in: closing the returned {@link Link} closes
 * this process's fd only; the attachment stays until the pin is removed.
 * @throws {@link LinkError} `kernel` (ENOENT when nothing is pinned there; the check refused, with the reason).
 * @example
 * ```ts
 * import { attachTracepoint, openPinnedLink } from '@bpfkit/link';
 * import { BpfObject } from '@bpfkit/loader';
 *
 * using obj = BpfObject.open('tracepoint.bpf.o');
 * obj.load();
 * attachTracepoint(obj.program('count_kill').fd, 'syscalls', 'sys_enter_kill').pin('/sys/fs/bpf/count_kill');
 * // later, in another process: the link stays attached until its pin is removed
 * using link = openPinnedLink('/sys/fs/bpf/count_kill');
 * console.log(link.info());
 * ```
 */
export function openPinnedLink(path: string): Link {
  const fd = kernelStep('open pinned link', { kind: 'pinned', path }, () => openPinned(path));
  return new Link('pinned', fd);
}
