import { EpollEvent } from '@bpfkit/syscall';
import { EventsError } from './errors.js';
import { EventReader } from './reader.js';
import { NO_RECORD } from './record-iterator.js';
import { sharedWaiter, type Waiter, type Watch } from './waiter.js';

const { closeSync, constants, existsSync, openSync, readFileSync, readSync } = process.getBuiltinModule('node:fs');
const { join } = process.getBuiltinModule('node:path');

/** Bytes read from `trace_pipe` per read call. */
const READ_SIZE = 64 * 1024;

/**
 * Where tracefs is mounted, from `/proc/self/mounts`: a `tracefs` mount, else the `tracing`
 * directory of a `debugfs` mount. Nothing is mounted here.
 * @throws {@link EventsError} `kernel` when none is, with the command that mounts one.
 */
function tracefsMount(): string {
  for (const line of readFileSync('/proc/self/mounts', 'utf8').split('\n')) {
    const [, dir, type] = line.split(' ');
    if (dir === undefined) continue;
    const path = dir.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
    if (type === 'tracefs' && existsSync(join(path, 'trace_pipe'))) return path;
    if (type === 'debugfs' && existsSync(join(path, 'tracing', 'trace_pipe'))) return join(path, 'tracing');
  }
  throw new EventsError(
    'kernel',
    'tracefs is not mounted, so bpf_printk output cannot be read',
    {},
    'mount it with: mount -t tracefs nodev /sys/kernel/tracing',
  );
}

/** One `trace_pipe` line of `bpf_printk` output, split into its fields. */
export interface TraceLine {
  /** The task's name (`<...>` when the kernel no longer knew it). */
  readonly task: string;
  /** The thread id. */
  readonly pid: number;
  /** The CPU it ran on. */
  readonly cpu: number;
  /** Seconds since boot, as the trace clock printed it. */
  readonly timestamp: number;
  /** The event (`bpf_trace_printk`). */
  readonly event: string;
  /** What the program printed. */
  readonly message: string;
}

const TRACE_LINE = /^\s*(.*)-(\d+)\s+\[(\d+)\]\s+(?:\S+\s+)?(\d+\.\d+):\s+([^:]+):\s?(.*)$/;

/** Splits a `trace_pipe` line (`task-pid [cpu] flags timestamp: event: message`), or `undefined` for another shape. */
export function parseTraceLine(line: string): TraceLine | undefined {
  const match = TRACE_LINE.exec(line);
  if (match === null) return undefined;
  const [, task, pid, cpu, timestamp, event, message] = match as unknown as string[];
  return {
    task: task as string,
    pid: Number(pid),
    cpu: Number(cpu),
    timestamp: Number(timestamp),
    event: event as string,
    message: message as string,
  };
}

/** Options for {@link openTracePipe}. */
export interface TracePipeOptions {
  /** The tracefs mount; found in `/proc/self/mounts` by default. */
  readonly tracefs?: string;
  /** A tracing instance (`instances/NAME`) to read instead of the top-level buffer. */
  readonly instance?: string;
  /** The waiter to share with other channels; the process's shared one by default. */
  readonly waiter?: Waiter;
}

/**
 * A reader of tracefs's `trace_pipe`, where `bpf_printk` writes: lines as the iterator
 * yields them, `consume()` and `'data'` listeners, woken by the kernel through the same
 * epoll waiter as the ring buffers (the pipe is opened non-blocking, so nothing blocks a
 * thread and {@link close} ends a wait at once). Reading consumes: another reader of the same
 * pipe gets other lines.
 */
export class TracePipe extends EventReader<string, string> {
  private readonly fd: number;
  private readonly watch: Watch;
  private readonly buffer = new Uint8Array(READ_SIZE);
  private readonly decoder = new TextDecoder();
  private readonly lines: string[] = [];
  private partial = '';

  /** @internal Use {@link openTracePipe}. */
  constructor(
    fd: number,
    waiter: Waiter,
    /** The `trace_pipe` file read. */
    readonly path: string,
  ) {
    super();
    this.fd = fd;
    this.watch = waiter.watch(fd, EpollEvent.IN, () => this.woken());
  }

  protected hasData(): boolean {
    if (this.lines.length === 0) this.fill();
    return this.lines.length > 0;
  }

  protected nextRecord(): string | typeof NO_RECORD {
    return this.hasData() ? (this.lines.shift() as string) : NO_RECORD;
  }

  protected consumeViews(callback: (line: string) => void, limit: number): number {
    let count = 0;
    while (count < limit && this.hasData()) {
      count++;
      callback(this.lines.shift() as string);
    }
    return count;
  }

  /** Reads what the pipe holds now (it never blocks) into whole lines. */
  private fill(): void {
    for (;;) {
      let read: number;
      try {
        read = readSync(this.fd, this.buffer, 0, READ_SIZE, null);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return;
        throw new EventsError('kernel', `read ${this.path}: ${(error as Error).message}`, {}, undefined, {
          cause: error,
        });
      }
      if (read === 0) return;
      const text = this.partial + this.decoder.decode(this.buffer.subarray(0, read), { stream: true });
      const lines = text.split('\n');
      this.partial = lines.pop() as string;
      this.lines.push(...lines);
      if (this.lines.length > 0) return;
    }
  }

  protected watches(): Iterable<Watch> {
    return [this.watch];
  }

  protected release(): void {
    this.watch.remove();
    closeSync(this.fd);
  }
}

/**
 * Opens tracefs's `trace_pipe` (of `instance`, when given) for reading `bpf_printk` lines.
 * @throws {@link EventsError} `kernel` when no tracefs is mounted (nothing is mounted here), or
 * when the pipe cannot be opened (e.g. EACCES without root, ENOENT for an unknown instance).
 * @example
 * ```ts
 * import { openTracePipe } from '@bpfkit/events';
 *
 * using pipe = openTracePipe(); // tracefs where it is mounted; an EventsError if none is
 * for await (const line of pipe) console.log(line); // bpf_printk output, a line at a time
 * ```
 */
export function openTracePipe(options: TracePipeOptions = {}): TracePipe {
  const root = options.tracefs ?? tracefsMount();
  const path =
    options.instance === undefined ? join(root, 'trace_pipe') : join(root, 'instances', options.instance, 'trace_pipe');
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new EventsError('kernel', `open ${path}: ${(error as Error).message}`, {}, undefined, { cause: error });
  }
  try {
    return new TracePipe(fd, options.waiter ?? sharedWaiter(), path);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}
