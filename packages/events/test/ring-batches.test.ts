import { describe, expect, it } from 'vitest';
import { openRingBuffer, type RecordBatch, sharedWaiter } from '../src/index.js';
import { expectRecord } from './fixture-records.js';
import { args, bpfUnavailable, eventMappings, loadEvents, openFdCount, recordSize } from './kernel.js';

const unavailable = bpfUnavailable();

/** A record's sequence number (its first u32). */
function sequence(record: Uint8Array): number {
  return new DataView(record.buffer, record.byteOffset).getUint32(0, true);
}

/** The sequence numbers of `count` records from `first`, without every `every`th (0: none). */
function kept(first: number, count: number, every: number): number[] {
  return Array.from({ length: count }, (_, i) => first + i).filter((s) => every === 0 || s % every !== 0);
}

describe.skipIf(unavailable !== undefined)('ring buffer batches', () => {
  it('yields every record ready as one batch of copies, discarded ones skipped, still intact after later wake-ups rewrote the ring', async () => {
    using obj = loadEvents();
    using rb = openRingBuffer(obj.map('events').fd);
    const produce = obj.program('produce');
    const batches: RecordBatch[] = [];
    const iterator = rb.batches();
    // 40 runs of 60 records of 8 to 256 bytes (~8 KiB), every 7th discarded: the 16 KiB
    // ring wraps many times and the 64 KiB arenas of copies are replaced several times.
    for (let run = 0; run < 40; run++) {
      const first = run * 60;
      const pending = iterator.next();
      // The iterator waits on the empty ring; the kernel wakes it.
      await new Promise((resolve) => setTimeout(resolve, run === 0 ? 20 : 0));
      expect(produce.testRun({ ctx: args(60, 0, 0, 7, first) }).retval).toBe(kept(first, 60, 7).length);
      const step = await pending;
      expect(step.done).toBe(false);
      const batch = step.value as RecordBatch;
      expect(batch.length).toBe(kept(first, 60, 7).length);
      expect([...batch].map(sequence)).toEqual(kept(first, 60, 7));
      batches.push(batch);
    }
    expect(rb.unreadBytes).toBe(0);
    // Every batch, its records and what its views read are as the kernel wrote them.
    for (const [run, batch] of batches.entries()) {
      const records = [...batch];
      for (const [i, record] of records.entries()) expectRecord(record, kept(run * 60, 60, 7)[i] as number);
      const viewed: number[] = [];
      batch.forEachView((view) => {
        expect(view.length).toBe(recordSize(view.u32(0)));
        expectRecord(view.bytes(), view.u32(0));
        viewed.push(view.u32(0));
      });
      expect(viewed).toEqual(kept(run * 60, 60, 7));
    }
    expect(new Set(batches.map((batch) => [...batch][0]?.buffer)).size).toBeGreaterThan(1);
    await iterator.return?.();
  });

  it('takes nothing while the iteration is not advanced: the ring fills and the producer sees its writes dropped', async () => {
    using obj = loadEvents();
    using rb = openRingBuffer(obj.map('events').fd);
    const produce = obj.program('produce');
    const iterator = rb.batches();
    expect(produce.testRun({ ctx: args(1, 256, 0, 0, 0) }).retval).toBe(1);
    expect(((await iterator.next()).value as RecordBatch).length).toBe(1);
    // Nobody calls next() now: 1000 records of 264 bytes do not fit 16 KiB.
    const written = produce.testRun({ ctx: args(1000, 256, 0, 0, 1) }).retval;
    expect(written).toBe(Math.floor(16384 / 264));
    expect(rb.unreadBytes).toBe(written * 264);
    // The next step takes all of them at once and frees the ring for the producer.
    const batch = (await iterator.next()).value as RecordBatch;
    expect([...batch].map(sequence)).toEqual(Array.from({ length: written }, (_, i) => i + 1));
    expect(rb.unreadBytes).toBe(0);
    expect(produce.testRun({ ctx: args(10, 256, 0, 0, 0) }).retval).toBe(10);
  });

  it('hands records a single-record iteration took but did not yield to the next batch, in order, none lost', async () => {
    using obj = loadEvents();
    using rb = openRingBuffer(obj.map('events').fd);
    const produce = obj.program('produce');
    expect(produce.testRun({ ctx: args(100, 16, 0, 0, 0) }).retval).toBe(100);
    const seen: number[] = [];
    for await (const record of rb) if (seen.push(sequence(record)) === 10) break;
    // The first take held all 100: the batch is the 90 the loop left, nothing from the ring.
    expect(rb.unreadBytes).toBe(0);
    for await (const batch of rb.batches()) {
      expect(batch.length).toBe(90);
      seen.push(...[...batch].map(sequence));
      break;
    }
    // And a batch iteration that breaks leaves nothing behind: records come from the ring again.
    expect(produce.testRun({ ctx: args(5, 16, 0, 0, 100) }).retval).toBe(5);
    for await (const record of rb) if (seen.push(sequence(record)) === 105) break;
    expect(seen).toEqual(Array.from({ length: 105 }, (_, i) => i));
  });

  it('yields what the decoder makes of each record, and reads views of the raw bytes', async () => {
    using obj = loadEvents();
    using rb = openRingBuffer(obj.map('events').fd, {
      decode: (bytes) => ({ seq: sequence(bytes), size: bytes.length }),
    });
    expect(obj.program('produce').testRun({ ctx: args(20, 0, 0, 4, 0) }).retval).toBe(kept(0, 20, 4).length);
    for await (const batch of rb.batches()) {
      expect([...batch]).toEqual(kept(0, 20, 4).map((seq) => ({ seq, size: recordSize(seq) })));
      const sizes: number[] = [];
      batch.forEachView((view) => sizes.push(view.length));
      expect(sizes).toEqual(kept(0, 20, 4).map(recordSize));
      break;
    }
  });

  it('ends a waiting batch iteration at once on abort, on return() and on close, and leaves no fd or mapping', async () => {
    const fdsBefore = openFdCount();
    const mappingsBefore = eventMappings();
    const obj = loadEvents();
    const rb = openRingBuffer(obj.map('events').fd);
    const controller = new AbortController();
    const aborted = rb.batches({ signal: controller.signal }).next();
    setTimeout(() => controller.abort(new Error('aborted while waiting')), 10);
    await expect(aborted).rejects.toThrow('aborted while waiting');
    // return() ends a pending next() as done.
    const iterator = rb.batches();
    const pending = iterator.next();
    await iterator.return?.();
    expect(await pending).toEqual({ done: true, value: undefined });
    await sharedWaiter().idle();
    const waiting = (async () => {
      const got: RecordBatch[] = [];
      for await (const batch of rb.batches()) got.push(batch);
      return got;
    })();
    await new Promise((resolve) => setTimeout(resolve, 20));
    // The object closes first: the reader keeps its own fd until it closes too.
    obj.close();
    rb.close();
    expect(await waiting).toEqual([]);
    expect((await rb.batches().next()).done).toBe(true);
    await sharedWaiter().idle();
    expect(eventMappings()).toBe(mappingsBefore);
    expect(openFdCount()).toBe(fdsBefore);
  });
});
