import { describe, expect, it } from 'vitest';
import {
  drainEventFd,
  EpollEvent,
  EpollOp,
  EpollReadyList,
  epollControl,
  epollCreate,
  mapFdMemory,
  openEventFd,
  pageSize,
  signalEventFd,
  startEpollWait,
} from '../src/index.js';
import { openFdCount } from './kernel.js';

/** Starts a background wait and resolves with its result. */
function waitOnce(epfd: number, ready: EpollReadyList): Promise<number> {
  return new Promise((resolve) => startEpollWait(epfd, ready, resolve));
}

describe('epoll waits off the event loop', () => {
  it('returns the token of the fd that became ready, and only after it did', async () => {
    const before = openFdCount();
    const epoll = epollCreate();
    const quiet = openEventFd();
    const loud = openEventFd();
    epollControl(epoll.fd, EpollOp.ADD, quiet.fd, EpollEvent.IN, 7);
    epollControl(epoll.fd, EpollOp.ADD, loud.fd, EpollEvent.IN | EpollEvent.ONESHOT, 42);
    const ready = new EpollReadyList(4);
    let returned = false;
    const result = waitOnce(epoll.fd, ready).then((count) => {
      returned = true;
      return count;
    });
    // The event loop keeps running while the wait is pending.
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(returned).toBe(false);
    signalEventFd(loud.fd);
    expect(await result).toBe(1);
    expect(ready.token(0)).toBe(42);
    expect(ready.events(0) & EpollEvent.IN).toBe(EpollEvent.IN);
    // One-shot: still readable, but not reported again until re-armed.
    signalEventFd(quiet.fd);
    expect(await waitOnce(epoll.fd, ready)).toBe(1);
    expect(ready.token(0)).toBe(7);
    expect(drainEventFd(quiet.fd)).toBe(true);
    expect(drainEventFd(quiet.fd)).toBe(false);
    epollControl(epoll.fd, EpollOp.MODIFY, loud.fd, EpollEvent.IN | EpollEvent.ONESHOT, 43);
    expect(await waitOnce(epoll.fd, ready)).toBe(1);
    expect(ready.token(0)).toBe(43);
    for (const fd of [epoll, quiet, loud]) fd.close();
    expect(openFdCount()).toBe(before);
  });

  it('maps fd memory at an offset with the protection asked for', () => {
    expect(pageSize() % 4096).toBe(0);
    const event = openEventFd();
    // An eventfd has no memory to map: the error names the call and errno.
    expect(() => mapFdMemory(event.fd, 1, { offset: pageSize() }, { object: 'eventfd' })).toThrow(
      /mmap failed: ENODEV/,
    );
    event.close();
  });
});
