import { describe, expect, it } from 'vitest';
import { EventsError, openRingBuffer, openUserRingBuffer, sharedWaiter } from '../src/index.js';
import { bpfUnavailable, eventMappings, loadEvents, openFdCount } from './kernel.js';

const unavailable = bpfUnavailable();

function u64s(...values: bigint[]): Uint8Array {
  const bytes = new Uint8Array(values.length * 8);
  for (const [i, value] of values.entries()) new DataView(bytes.buffer).setBigUint64(i * 8, value, true);
  return bytes;
}

/** The (first, second) u64 pairs the fixture's drain program echoed into the ring buffer. */
function echoes(view: Uint8Array): [bigint, bigint] {
  const data = new DataView(view.buffer, view.byteOffset, view.byteLength);
  return [data.getBigUint64(0, true), data.getBigUint64(8, true)];
}

describe.skipIf(unavailable !== undefined)('user ring buffer writer', () => {
  it('hands submitted records to bpf_user_ringbuf_drain in order, skipping discarded ones', () => {
    using obj = loadEvents();
    using writer = openUserRingBuffer(obj.map('commands').fd, { name: 'commands' });
    using rb = openRingBuffer(obj.map('events').fd);
    expect(writer.write(u64s(1n))).toBe(true);
    const discarded = writer.reserve(8);
    discarded?.bytes.set(u64s(99n));
    const pair = writer.reserve(16);
    pair?.bytes.set(u64s(2n, 3n));
    discarded?.discard();
    // Still busy: the kernel stops before it.
    const late = writer.reserve(8);
    expect(obj.program('drain').testRun().retval).toBe(1);
    pair?.submit();
    late?.bytes.set(u64s(4n));
    late?.submit();
    expect(obj.program('drain').testRun().retval).toBe(2);
    const seen: [bigint, bigint][] = [];
    rb.consume((view) => seen.push(echoes(view.bytes())));
    expect(seen).toEqual([
      [1n, 0n],
      [2n, 3n],
      [4n, 0n],
    ]);
    expect(writer.unreadBytes).toBe(0);
  });

  it('waits for room when full and is woken after a drain, without polling', async () => {
    using obj = loadEvents();
    using writer = openUserRingBuffer(obj.map('commands').fd);
    let written = 0;
    while (writer.write(u64s(BigInt(written)))) written++;
    expect(written).toBe(writer.size / 16);
    let reserved = false;
    const waiting = writer.reserveAsync(8).then((record) => {
      reserved = true;
      record.submit();
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(reserved).toBe(false);
    expect(obj.program('drain').testRun().retval).toBe(written);
    await waiting;
    expect(reserved).toBe(true);
  });

  it('refuses records no ring can hold, and ends a wait on close with nothing left open', async () => {
    const fds = openFdCount();
    const mappings = eventMappings();
    const obj = loadEvents();
    const writer = openUserRingBuffer(obj.map('commands').fd);
    let error: unknown;
    try {
      writer.reserve(writer.size);
    } catch (e) {
      error = e;
    }
    expect(EventsError.is(error) && error.code).toBe('bad-size');
    while (writer.write(new Uint8Array(8)));
    const waiting = writer.reserveAsync(8);
    obj.close();
    writer.close();
    await expect(waiting).rejects.toThrow(/closed/);
    await sharedWaiter().idle();
    expect(eventMappings()).toBe(mappings);
    expect(openFdCount()).toBe(fds);
  });
});
