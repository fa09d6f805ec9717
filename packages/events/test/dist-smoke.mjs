// Checks the built @bpfkit/events (ESM or CJS) reads an empty ring buffer, wakes a pending
// wait on close, and refuses a map of another type with its error class.
import assert from 'node:assert/strict';
import { createMap } from '@bpfkit/syscall';

export default async function smoke(events) {
  const ring = createMap({ type: 27, keySize: 0, valueSize: 0, maxEntries: 4096, name: 'smoke_ring' });
  const array = createMap({ type: 2, keySize: 4, valueSize: 4, maxEntries: 1, name: 'smoke_array' });
  try {
    const reader = events.openRingBuffer(ring.fd);
    assert.equal(reader.size, 4096);
    assert.equal(
      reader.consume(() => assert.fail('no records were written')),
      0,
    );
    const waiting = reader.readable();
    reader.close();
    assert.equal(await waiting, false);
    await events.sharedWaiter().idle();
    assert.throws(
      () => events.openRingBuffer(array.fd),
      (e) => events.EventsError.is(e) && e.code === 'wrong-map-type',
    );
  } finally {
    ring.close();
    array.close();
  }
}
