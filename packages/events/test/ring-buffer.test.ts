import { describe, expect, it } from 'vitest';
import { EventsError, openRingBuffer, type RecordView, sharedWaiter } from '../src/index.js';
import { expectRecord } from './fixture-records.js';
import { args, bpfUnavailable, eventMappings, loadEvents, openFdCount } from './kernel.js';

const unavailable = bpfUnavailable();
const BPF_RB_NO_WAKEUP = 1;
const BPF_RB_FORCE_WAKEUP = 2;

describe.skipIf(unavailable !== undefined)('ring buffer reader', () => {
  it('reads every record in order across several wraps, skipping discarded ones', () => {
    using obj = loadEvents();
    using rb = openRingBuffer(obj.map('events').fd, { name: 'events' });
    const produce = obj.program('produce');
    const seen: number[] = [];
    let seq = 0;
    // 16 KiB ring, ~140-byte records on average: 40 per run, 30 runs wrap it many times.
    for (let run = 0; run < 30; run++) {
      const { retval } = produce.testRun({ ctx: args(40, 0, 0, 7, seq) });
      const discarded = Array.from({ length: 40 }, (_, i) => seq + i).filter((s) => s % 7 === 0).length;
      expect(retval).toBe(40 - discarded);
      rb.consume((view) => {
        const s = view.u32(0);
        expectRecord(view.bytes(), s);
        seen.push(s);
      });
      seq += 40;
    }
    const expected = Array.from({ length: seq }, (_, i) => i).filter((s) => s % 7 !== 0);
    expect(seen).toEqual(expected);
    expect(rb.unreadBytes).toBe(0);
  });

  it('yields copies from the async iterator, woken by the kernel without polling', async () => {
    using obj = loadEvents();
    using rb = openRingBuffer(obj.map('events').fd);
    const produce = obj.program('produce');
    const received: Uint8Array[] = [];
    const reading = (async () => {
      for await (const record of rb) {
        received.push(record);
        if (received.length === 25) break;
      }
    })();
    // Let the reader find the ring empty and wait; then produce from a timer, in batches.
    for (let batch = 0; batch < 5; batch++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      produce.testRun({ ctx: args(5, 0, 0, 0, batch * 5) });
    }
    await reading;
    for (const [i, record] of received.entries()) expectRecord(record, i);
    // Copies: later records overwrite the ring, not what was yielded.
    produce.testRun({ ctx: args(200, 0, 0, 0, 1000) });
    for (const [i, record] of received.entries()) expectRecord(record, i);
  });

  it('is not woken for records written with BPF_RB_NO_WAKEUP, and is with FORCE_WAKEUP', async () => {
    using obj = loadEvents();
    using rb = openRingBuffer(obj.map('events').fd);
    const produce = obj.program('produce');
    let woken = false;
    const wait = rb.readable().then(() => {
      woken = true;
    });
    produce.testRun({ ctx: args(3, 0, BPF_RB_NO_WAKEUP, 0, 0) });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(woken).toBe(false);
    expect(rb.unreadBytes).toBeGreaterThan(0);
    produce.testRun({ ctx: args(1, 0, BPF_RB_FORCE_WAKEUP, 0, 3) });
    await wait;
    expect(woken).toBe(true);
    expect(rb.consume(() => {})).toBe(4);
  });

  it('ends a pending wait and iteration at once on close and on abort, leaving no fd or mapping', async () => {
    const fdsBefore = openFdCount();
    const mappingsBefore = eventMappings();
    const obj = loadEvents();
    const rb = openRingBuffer(obj.map('events').fd);
    expect(eventMappings()).toBe(mappingsBefore + 2);
    const controller = new AbortController();
    const aborted = rb.readable({ signal: controller.signal });
    controller.abort(new Error('stop'));
    await expect(aborted).rejects.toThrow('stop');
    const iteration = (async () => {
      const got: Uint8Array[] = [];
      for await (const record of rb) got.push(record);
      return got;
    })();
    await new Promise((resolve) => setTimeout(resolve, 20));
    // The object closes first: the reader keeps its own fd until it closes too.
    obj.close();
    rb.close();
    expect(await iteration).toEqual([]);
    await sharedWaiter().idle();
    expect(eventMappings()).toBe(mappingsBefore);
    expect(openFdCount()).toBe(fdsBefore);
  });

  it('refuses a map that is not a ring buffer, with the map name and a hint', () => {
    using obj = loadEvents();
    const error = (() => {
      try {
        openRingBuffer(obj.map('samples').fd, { name: 'samples' });
      } catch (e) {
        return e;
      }
    })();
    expect(EventsError.is(error)).toBe(true);
    expect((error as EventsError).code).toBe('wrong-map-type');
    expect((error as Error).message).toMatch(/map 'samples'.*perf buffer/);
  });

  it('moves one view from record to record; a throwing callback still consumes its record, a nested consume reads nothing', () => {
    using obj = loadEvents();
    using rb = openRingBuffer(obj.map('events').fd);
    const produce = obj.program('produce');
    produce.testRun({ ctx: args(6, 0, 0, 0, 0) });
    const views = new Set<unknown>();
    const copies: Uint8Array[] = [];
    let nested = -1;
    expect(() =>
      rb.consume((view) => {
        views.add(view);
        copies.push(view.copy());
        expect(view.u32(0)).toBe(copies.length - 1);
        expect(view.u32(4)).toBe(view.length);
        if (view.length > 9) expect(view.u8(9)).toBe(9);
        nested = rb.consume(() => {});
        if (copies.length === 3) throw new Error('callback failed');
      }),
    ).toThrow('callback failed');
    expect(views.size).toBe(1);
    expect(nested).toBe(0);
    // The record whose callback threw is consumed; the next consume starts after it.
    const rest: number[] = [];
    expect(rb.consume((view) => rest.push(view.u32(0)))).toBe(3);
    expect(rest).toEqual([3, 4, 5]);
    // Copies stay valid after the ring is rewritten.
    produce.testRun({ ctx: args(100, 0, 0, 0, 100) });
    for (const [i, copy] of copies.entries()) expectRecord(copy, i);
  });

  it('stops a consume at its limit (a fraction rounds up) and reads nothing for a limit of 0, below 0 or NaN', () => {
    using obj = loadEvents();
    using rb = openRingBuffer(obj.map('events').fd);
    expect(obj.program('produce').testRun({ ctx: args(10, 16, 0, 0, 0) }).retval).toBe(10);
    const seen: number[] = [];
    const read = (view: RecordView) => {
      seen.push(view.u32(0));
    };
    for (const limit of [0, -1, Number.NaN]) expect(rb.consume(read, limit)).toBe(0);
    expect(rb.consume(read, 2)).toBe(2);
    expect(rb.consume(read, 2.5)).toBe(3);
    expect(rb.consume(read)).toBe(5);
    expect(seen).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(rb.unreadBytes).toBe(0);
  });

  it('hands space back to producers while a long consume runs, not only at its end', () => {
    using obj = loadEvents();
    using rb = openRingBuffer(obj.map('events').fd);
    const produce = obj.program('produce');
    // Fill most of the 16 KiB ring with 264-byte records (256 bytes and header).
    expect(produce.testRun({ ctx: args(60, 256, 0, 0, 0) }).retval).toBe(60);
    let refilled = 0;
    let seen = 0;
    rb.consume(() => {
      seen++;
      // Half way through, the producer finds room: the first quarter was handed back.
      if (seen === 40) refilled = produce.testRun({ ctx: args(10, 256, 0, 0, 60) }).retval;
    });
    expect(refilled).toBe(10);
    expect(seen).toBe(70);
  });

  it('takes nothing more while an iterator is not consumed: the ring fills and the producer sees its writes dropped', async () => {
    using obj = loadEvents();
    using rb = openRingBuffer(obj.map('events').fd);
    const produce = obj.program('produce');
    const iterator = rb.records();
    produce.testRun({ ctx: args(1, 256, 0, 0, 0) });
    expect((await iterator.next()).done).toBe(false);
    // Nobody calls next() now: 1000 records of 264 bytes do not fit 16 KiB.
    const written = produce.testRun({ ctx: args(1000, 256, 0, 0, 1) }).retval;
    expect(written).toBe(Math.floor(16384 / 264));
    expect(rb.unreadBytes).toBe(written * 264);
    // Reading again frees the ring for the producer.
    let read = 0;
    for await (const record of iterator) {
      expect(record.length).toBe(256);
      if (++read === written) break;
    }
    expect(produce.testRun({ ctx: args(10, 256, 0, 0, 0) }).retval).toBe(10);
  });

  it('skips discarded records in what the iterator took, across wraps, and yields the others in order', async () => {
    using obj = loadEvents();
    using rb = openRingBuffer(obj.map('events').fd);
    const produce = obj.program('produce');
    const seen: number[] = [];
    let seq = 0;
    // 40 records of 8 to 256 bytes a run, every 7th discarded: 20 runs wrap the 16 KiB ring.
    for (let run = 0; run < 20; run++) {
      const kept = Array.from({ length: 40 }, (_, i) => seq + i).filter((s) => s % 7 !== 0).length;
      expect(produce.testRun({ ctx: args(40, 0, 0, 7, seq) }).retval).toBe(kept);
      let read = 0;
      for await (const record of rb) {
        const s = new DataView(record.buffer, record.byteOffset).getUint32(0, true);
        expectRecord(record, s);
        seen.push(s);
        if (++read === kept) break;
      }
      seq += 40;
    }
    expect(seen).toEqual(Array.from({ length: seq }, (_, i) => i).filter((s) => s % 7 !== 0));
    expect(rb.unreadBytes).toBe(0);
  });

  it('hands records an iteration took but did not yield to the next iteration, in order, none lost', async () => {
    using obj = loadEvents();
    using rb = openRingBuffer(obj.map('events').fd);
    // 100 records of 16 bytes are ready at once, so the first next() takes them all.
    expect(obj.program('produce').testRun({ ctx: args(100, 16, 0, 0, 0) }).retval).toBe(100);
    const sequence = (record: Uint8Array) => new DataView(record.buffer, record.byteOffset).getUint32(0, true);
    const seen: number[] = [];
    for await (const record of rb) if (seen.push(sequence(record)) === 10) break;
    expect(rb.unreadBytes).toBe(0);
    for await (const record of rb) if (seen.push(sequence(record)) === 100) break;
    expect(seen).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('ends an iteration that waits when its signal aborts, and a closed reader yields nothing (its pages are gone)', async () => {
    using obj = loadEvents();
    const rb = openRingBuffer(obj.map('events').fd);
    const controller = new AbortController();
    const waiting = rb.records({ signal: controller.signal }).next();
    setTimeout(() => controller.abort(new Error('aborted while waiting')), 10);
    await expect(waiting).rejects.toThrow('aborted while waiting');
    obj.program('produce').testRun({ ctx: args(5, 0, 0, 0, 0) });
    rb.close();
    const after: Uint8Array[] = [];
    for await (const record of rb) after.push(record);
    expect(after).toEqual([]);
    expect(rb.consume(() => {})).toBe(0);
    await sharedWaiter().idle();
  });

  it('keeps every copy it yielded intact while later batches are copied, past several arenas of copies', async () => {
    using obj = loadEvents();
    using rb = openRingBuffer(obj.map('events').fd);
    const produce = obj.program('produce');
    const kept: Uint8Array[] = [];
    // 40 runs of 80 records of 8 to 256 bytes (~11 KiB each): batches of 64 and 440 KiB of
    // copies, so the 64 KiB arenas fill and are replaced many times.
    for (let run = 0; run < 40; run++) {
      expect(produce.testRun({ ctx: args(80, 0, 0, 0, run * 80) }).retval).toBe(80);
      for await (const record of rb) if (kept.push(record) % 80 === 0) break;
    }
    expect(kept.length).toBe(3200);
    for (const [i, record] of kept.entries()) expectRecord(record, i);
    expect(new Set(kept.map((record) => record.buffer)).size).toBeGreaterThan(1);
    expect(kept.every((record) => record.byteOffset % 8 === 0)).toBe(true);
  });

  it('costs no CPU while it waits: a listener armed for a second of silence uses almost no CPU time', async () => {
    using obj = loadEvents();
    using rb = openRingBuffer(obj.map('events').fd);
    let calls = 0;
    rb.on('data', () => calls++);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const before = process.cpuUsage();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const used = process.cpuUsage(before);
    // The whole process (event loop, pool threads, V8), in µs: polling every millisecond,
    // or a pool thread spinning, would spend far more than 5% of the second.
    expect(used.user + used.system).toBeLessThan(50_000);
    expect(calls).toBe(0);
    // And the wake-up still comes from the kernel.
    obj.program('produce').testRun({ ctx: args(1, 16, 2, 0, 0) });
    await expect.poll(() => calls, { interval: 5 }).toBe(1);
  });

  it('refuses a descriptor that is not open with a typed error that names the map and carries the errno', () => {
    const error = (() => {
      try {
        openRingBuffer(999_999, { name: 'events' }); // past any descriptor this process has open
      } catch (e) {
        return e;
      }
    })();
    expect(EventsError.is(error)).toBe(true);
    expect(error).toMatchObject({ code: 'kernel', context: { map: 'events' }, cause: { errnoName: 'EBADF' } });
  });
});
