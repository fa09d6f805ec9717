/**
 * BPF event channels for Node.js: a ring buffer reader, a perf buffer reader (one ring per
 * CPU) and a user ring buffer writer, each needing only a map fd. Readers are woken by the
 * kernel through one epoll fd the event loop watches (in worker threads, a libuv pool thread
 * waits on it), and read their mapped pages on the event loop: zero-copy views in
 * `consume()` and `'data'` listeners, copies (or BTF-decoded objects) from the async
 * iterators (a ring buffer's also in batches, one per wake-up).
 *
 * {@include ../README.md}
 *
 * @packageDocumentation
 * @module @bpfkit/events
 */

export type { EventsErrorCode, EventsErrorContext } from './errors.js';
export { EventsError } from './errors.js';
export type { PerfBufferOptions, PerfSample } from './perf-buffer.js';
export { MAP_TYPE_PERF_EVENT_ARRAY, openPerfBuffer, PerfBuffer } from './perf-buffer.js';
export type { WaitOptions } from './reader.js';
export { EventReader } from './reader.js';
export { RecordBatch } from './record-batch.js';
export { recordDecoder } from './record-decoder.js';
export { NO_RECORD } from './record-iterator.js';
export { RecordView } from './record-view.js';
export type { RingBufferOptions } from './ring-buffer.js';
export { MAP_TYPE_RINGBUF, openRingBuffer, RingBuffer } from './ring-buffer.js';
export type { TraceLine, TracePipeOptions } from './trace-pipe.js';
export { openTracePipe, parseTraceLine, TracePipe } from './trace-pipe.js';
export type { UserRingBufferOptions, UserRingRecord } from './user-ring-buffer.js';
export { MAP_TYPE_USER_RINGBUF, openUserRingBuffer, UserRingBuffer } from './user-ring-buffer.js';
export type { Watch } from './waiter.js';
export { sharedWaiter, Waiter } from './waiter.js';
