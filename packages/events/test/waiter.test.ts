import { execFileSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import {
  BpfSyscallError,
  drainEventFd,
  EpollEvent,
  EpollOp,
  EpollReadyList,
  Errno,
  epollControl,
  epollCreate,
  getBackend,
  openEventFd,
  setBackend,
  signalEventFd,
  startEpollWait,
} from '@bpfkit/syscall';
import { describe, expect, it } from 'vitest';
import { openRingBuffer, sharedWaiter, Waiter } from '../src/index.js';
import { args, bpfUnavailable, loadEvents, openFdCount } from './kernel.js';

const unavailable = bpfUnavailable();
const BPF_RB_FORCE_WAKEUP = 2;

/**
 * Keeps every libuv pool thread of this process blocked in an epoll_wait until the returned
 * function releases them (and resolves once all have returned).
 */
function occupyPoolThreads(): () => Promise<void> {
  const threads = Number(process.env.UV_THREADPOOL_SIZE) || 4;
  const blockers = Array.from({ length: threads }, () => {
    const epoll = epollCreate('pool blocker');
    const wake = openEventFd('pool blocker eventfd');
    epollControl(epoll.fd, EpollOp.ADD, wake.fd, EpollEvent.IN, 0);
    // The list must outlive the wait: the kernel writes into it.
    const ready = new EpollReadyList(1);
    const returned = new Promise<void>((resolve) => startEpollWait(epoll.fd, ready, () => resolve()));
    return { epoll, wake, ready, returned };
  });
  return async () => {
    for (const { wake } of blockers) signalEventFd(wake.fd);
    await Promise.all(blockers.map(({ returned }) => returned));
    for (const { epoll, wake } of blockers) {
      wake.close();
      epoll.close();
    }
  };
}

/** Runs `body` with the event loop's watch answering `result` (an errno) instead of watching. */
async function withLoopWatchRefused<T>(result: number, body: () => T | Promise<T>): Promise<T> {
  const real = getBackend();
  setBackend({ ...real, watchOnLoop: () => result });
  try {
    return await body();
  } finally {
    setBackend(real);
  }
}

/**
 * Resolves once `done()` holds or `ms` have passed, checking on a timer: vitest's own waits
 * (expect.poll) stall while the pool threads are blocked.
 */
async function until(done: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe.skipIf(unavailable !== undefined)('event waiter', () => {
  it('wakes readers on the main thread through the event loop, while every libuv pool thread is busy', async () => {
    using obj = loadEvents();
    using listened = openRingBuffer(obj.map('events').fd);
    using awaited = openRingBuffer(obj.map('events').fd);
    const release = occupyPoolThreads();
    const seen: number[] = [];
    let readable: boolean | undefined;
    // What had arrived while the pool was busy (once it is free, a pool thread's wait returns too).
    let whileBusy: { seen: number[]; readable: boolean | undefined } | undefined;
    try {
      // Both wait from now on: a wait made on a pool thread would queue behind the blockers.
      listened.on('data', (view) => seen.push(view.u32(0)));
      void awaited.readable().then((value) => {
        readable = value;
      });
      obj.program('produce').testRun({ ctx: args(1, 16, BPF_RB_FORCE_WAKEUP, 0, 7) });
      await until(() => seen.length === 1 && readable !== undefined, 2000);
      whileBusy = { seen: [...seen], readable };
    } finally {
      await release();
    }
    expect(whileBusy).toEqual({ seen: [7], readable: true });
  });

  it('on a wake-up of the event loop, runs the armed watches that see their data in memory before reading epoll', async () => {
    const waiter = new Waiter();
    using inMemory = openEventFd('never signalled');
    using signalled = openEventFd('signalled');
    const calls: string[] = [];
    let recordsInMemory = true;
    const memoryWatch = waiter.watch(
      inMemory.fd,
      EpollEvent.IN,
      () => {
        calls.push('data in memory');
        recordsInMemory = false;
      },
      () => recordsInMemory,
    );
    const epollWatch = waiter.watch(signalled.fd, EpollEvent.IN, () => {
      calls.push('reported by epoll');
      drainEventFd(signalled.fd);
    });
    try {
      memoryWatch.arm();
      epollWatch.arm();
      signalEventFd(signalled.fd);
      await until(() => calls.length === 2, 2000);
      expect(calls).toEqual(['data in memory', 'reported by epoll']);
    } finally {
      memoryWatch.remove();
      epollWatch.remove();
    }
  });

  it('runs a watch that saw its data in memory and re-armed once per wake-up, not again for what epoll had reported', async () => {
    const waiter = new Waiter();
    using fd = openEventFd('signalled twice');
    const calls: number[] = [];
    let pending = 0;
    const watch = waiter.watch(
      fd.fd,
      EpollEvent.IN,
      () => {
        calls.push(pending);
        drainEventFd(fd.fd);
        pending = 0;
        watch.arm();
      },
      () => pending > 0,
    );
    try {
      watch.arm();
      for (const value of [1, 2]) {
        pending = value;
        signalEventFd(fd.fd);
        await until(() => calls.length === value, 2000);
      }
      // Loop turns in which a stale report of the fd would run the watch again.
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(calls).toEqual([1, 2]);
    } finally {
      watch.remove();
    }
  });

  it('makes no epoll system call per wake-up of a listened reader: it is run for the records in its pages and re-armed in place', async () => {
    using obj = loadEvents();
    const waiter = new Waiter();
    using rb = openRingBuffer(obj.map('events').fd, { waiter });
    const seen: number[] = [];
    rb.on('data', (view) => seen.push(view.u32(0)));
    const real = getBackend();
    const calls: string[] = [];
    setBackend({
      ...real,
      epollCtl: (...call) => {
        calls.push('epoll_ctl');
        return real.epollCtl(...call);
      },
      epollWaitNow: (...call) => {
        calls.push('epoll_wait');
        return real.epollWaitNow(...call);
      },
    });
    try {
      for (const sequence of [1, 2, 3]) {
        obj.program('produce').testRun({ ctx: args(1, 16, BPF_RB_FORCE_WAKEUP, 0, sequence) });
        await until(() => seen.length === sequence, 2000);
      }
    } finally {
      setBackend(real);
    }
    expect({ seen, calls }).toEqual({ seen: [1, 2, 3], calls: [] });
  });

  it('falls back to a pool thread where the event loop cannot be watched, and is still woken', async () => {
    using obj = loadEvents();
    await withLoopWatchRefused(-Errno.ENOSYS, async () => {
      const waiter = new Waiter();
      using rb = openRingBuffer(obj.map('events').fd, { waiter });
      const readable = rb.readable();
      obj.program('produce').testRun({ ctx: args(1, 16, BPF_RB_FORCE_WAKEUP, 0, 3) });
      expect(await readable).toBe(true);
      rb.close();
      await waiter.idle();
    });
  });

  it('refuses a reader whose epoll fd the event loop cannot watch, leaving no fd open', async () => {
    using obj = loadEvents();
    const fdsBefore = openFdCount();
    const error = await withLoopWatchRefused(-Errno.ENOMEM, () => {
      try {
        openRingBuffer(obj.map('events').fd, { waiter: new Waiter() });
      } catch (e) {
        return e;
      }
    });
    expect(BpfSyscallError.is(error)).toBe(true);
    expect((error as BpfSyscallError).errnoName).toBe('ENOMEM');
    expect((error as BpfSyscallError).command).toBe('uv_poll_init');
    expect(openFdCount()).toBe(fdsBefore);
  });

  it('reports what a listener throws as an uncaught exception, and the reader goes on reading', () => {
    // In a process of its own: the exception must reach process 'uncaughtException'.
    const out = execFileSync(
      process.execPath,
      ['--import', 'tsx', new URL('./throwing-listener.ts', import.meta.url).pathname],
      {
        encoding: 'utf8',
        env: { ...process.env, TSX_TSCONFIG_PATH: new URL('../../../tsconfig.json', import.meta.url).pathname },
        timeout: 60_000,
      },
    );
    expect(JSON.parse(out.trim().split('\n').at(-1) as string)).toEqual({
      uncaught: ['listener failed on 1'],
      seen: [1, 2],
    });
  });

  it('wakes a reader on a worker thread through a pool thread, and leaves no fd once closed', async () => {
    using obj = loadEvents();
    const fdsBefore = openFdCount();
    const worker = new Worker(new URL('./worker-reader.mjs', import.meta.url), {
      workerData: { mapFd: obj.map('events').fd },
      // ffi-napi refuses worker threads; the worker reads through koffi whatever this process uses.
      env: { ...process.env, BPFKIT_FFI: 'koffi' },
    });
    try {
      const messages: unknown[] = [];
      worker.on('message', (message) => messages.push(message));
      const failed = new Promise((_, reject) => worker.once('error', reject));
      await Promise.race([expect.poll(() => messages, { interval: 5, timeout: 20_000 }).toEqual(['waiting']), failed]);
      obj.program('produce').testRun({ ctx: args(1, 16, BPF_RB_FORCE_WAKEUP, 0, 5) });
      await Promise.race([
        expect.poll(() => messages, { interval: 5, timeout: 5000 }).toEqual(['waiting', { seen: [5], fds: 0 }]),
        failed,
      ]);
    } finally {
      await worker.terminate();
    }
    expect(openFdCount()).toBe(fdsBefore);
    await sharedWaiter().idle();
  });
});
