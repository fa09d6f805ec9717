import {
  createIterator,
  detachLink,
  type Fd,
  type LinkInfo,
  linkInfo,
  readIterator,
  updateLink,
} from '@bpfkit/syscall';
import { type PinOptions, pinAt } from './pin-root.js';

/** What closing or detaching an attachment does, for attachments that are not bpf links. */
export type Detacher = () => void;

/**
 * An attached program. For bpf links (XDP, tcx, cgroups, perf events, iterators, raw
 * tracepoints) it owns the link fd; socket filters are detached from their socket instead.
 * Closing detaches; the owning object closes every link it made.
 */
export class BpfLink {
  private closed = false;

  /** @internal */
  constructor(
    /** How the program is attached (`raw-tracepoint`, `tracepoint`, `uprobe`, `netdev`, `cgroup`, `iterator`, `socket`). */
    readonly kind: string,
    private readonly handle: Fd | undefined,
    private readonly detacher?: Detacher,
    /** Other fds the attachment keeps open (the perf event behind a tracepoint or uprobe link). */
    private readonly extra: readonly Fd[] = [],
  ) {}

  /** The link fd, or -1 for socket filters and after close. */
  get fd(): number {
    return this.handle?.fd ?? -1;
  }

  /** BPF_OBJ_GET_INFO_BY_FD of the link (type, id, program id). */
  info(): LinkInfo {
    return linkInfo(this.requireFd());
  }

  /** Replaces the attached program (BPF_LINK_UPDATE); only when it is still `expectedFd`, if given. */
  update(programFd: number, expectedFd?: number): void {
    updateLink(this.requireFd(), programFd, expectedFd);
  }

  /** Detaches now (BPF_LINK_DETACH), keeping the fd open until {@link close}. */
  detach(): void {
    detachLink(this.requireFd());
  }

  /** Pins the link at `path` in a bpffs, so it outlives the process (`replace` to swap out an existing pin). */
  pin(path: string, options: PinOptions = {}): void {
    pinAt(this.requireFd(), path, options);
  }

  /** For iterator links: runs the iterator once and returns everything it wrote. */
  read(): Uint8Array {
    const iterator = createIterator(this.requireFd());
    try {
      return readIterator(iterator.fd);
    } finally {
      iterator.close();
    }
  }

  /** Detaches and releases the attachment; idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.detacher?.();
    this.handle?.close();
    for (const fd of this.extra) fd.close();
  }

  /** Same as {@link close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  private requireFd(): number {
    if (this.handle === undefined || !this.handle.open)
      throw new Error(`this ${this.kind} attachment has no open link fd`);
    return this.handle.fd;
  }
}
