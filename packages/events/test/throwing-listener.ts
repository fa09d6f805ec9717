// Child process of the waiter test: a 'data' listener throws on the first record; prints,
// as its last line, the uncaught exceptions the process saw and every record the listener got.
import { openRingBuffer } from '../src/index.js';
import { args, loadEvents } from './kernel.js';

const uncaught: string[] = [];
process.on('uncaughtException', (error) => uncaught.push(error.message));
const obj = loadEvents();
const rb = openRingBuffer(obj.map('events').fd);
const seen: number[] = [];
rb.on('data', (view) => {
  const seq = view.u32(0);
  seen.push(seq);
  if (seq === 1) throw new Error(`listener failed on ${seq}`);
});
const produce = (seq: number) => obj.program('produce').testRun({ ctx: args(1, 16, 2, 0, seq) });
const settle = () => new Promise((resolve) => setTimeout(resolve, 100));
await settle();
produce(1);
await settle();
produce(2);
await settle();
rb.close();
obj.close();
console.log(JSON.stringify({ uncaught, seen }));
