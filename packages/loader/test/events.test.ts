import { EventsError, sharedWaiter } from '@bpfkit/events';
import { fixture } from '@bpfkit/fixtures';
import { describe, expect, it } from 'vitest';
import { BpfObject } from '../src/index.js';
import { bpfUnavailable, openFdCount } from './kernel.js';

const unavailable = bpfUnavailable();

function u64s(...values: number[]): Uint8Array {
  const bytes = new Uint8Array(values.length * 8);
  for (const [i, value] of values.entries()) new DataView(bytes.buffer).setBigUint64(i * 8, BigInt(value), true);
  return bytes;
}

describe.skipIf(unavailable !== undefined)('event channels on a loaded object', () => {
  it("decodes ring buffer records as the BTF struct named by 'type'", async () => {
    using obj = BpfObject.open(fixture('events').path);
    obj.load();
    const rb = obj.ringBuffer('events', { type: 'event' });
    const waiting = (async () => {
      for await (const event of rb) return event;
    })();
    await new Promise((resolve) => setTimeout(resolve, 10));
    const before = process.hrtime.bigint();
    obj.program('produce_event').testRun({ ctx: u64s(41) });
    const event = (await waiting) as { seq: number; size: number; stamp: bigint; comm: string };
    expect(event.seq).toBe(41);
    expect(event.size).toBe(32);
    expect(event.stamp).toBeGreaterThan(before);
    expect(event.comm.length).toBeGreaterThan(0);
  });

  it('decodes records of a struct that only a subprogram signature names (no map or global refers to it)', async () => {
    using obj = BpfObject.open(fixture('events').path);
    obj.load();
    const rb = obj.ringBuffer('events', { type: 'point' });
    obj.program('produce_point').testRun({ ctx: u64s(9) });
    for await (const point of rb) {
      expect(point).toEqual({ x: 9, y: -9 });
      break;
    }
  });

  it('says how to make clang emit a record type that is not in the BTF', () => {
    using obj = BpfObject.open(fixture('events').path);
    obj.load();
    let error: unknown;
    try {
      obj.ringBuffer('events', { type: 'missing_event' });
    } catch (e) {
      error = e;
    }
    expect(EventsError.is(error) && error.code).toBe('type-not-found');
    expect((error as Error).message).toMatch(
      /map 'events'.*'missing_event'.*unused_missing_event __attribute__\(\(unused\)\)/,
    );
  });

  it('closes its readers when it closes, ending their iterations, with no fd left', async () => {
    const fds = openFdCount();
    const obj = BpfObject.open(fixture('events').path);
    obj.load();
    const rb = obj.ringBuffer('events');
    const pb = obj.perfBuffer('samples', { pageCount: 1 });
    const iterations = [rb, pb].map(async (reader) => {
      let count = 0;
      for await (const _ of reader) count++;
      return count;
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    obj.close();
    expect(rb.closed && pb.closed).toBe(true);
    expect(await Promise.all(iterations)).toEqual([0, 0]);
    await sharedWaiter().idle();
    expect(openFdCount()).toBe(fds);
  });
});
