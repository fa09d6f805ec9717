// A tool written on a generated skeleton (kill-watch.skel.ts, from `bpfkit gen skeleton
// examples/kill-watch.bpf.o --event events=kill_event -o examples/kill-watch.skel.ts`):
// typed rodata at open, the tracepoint attached by attach(), a live .bss counter, array and
// .data switch with no system call (an array element is read and written in place, as
// `skel->bss->by_signal[0]` in C), and the ring buffer's records as typed objects.
// Run: npx tsx examples/kill-watch.ts
import { KillWatch, type kill_event } from './kill-watch.skel.js';

using skel = KillWatch.open({ rodata: { only_tgid: process.pid } }).load();
skel.attach();
skel.bss.by_signal[0] = 100; // one element written in kernel memory, in place: the program counts on from it

for (let i = 0; i < 3; i++) process.kill(process.pid, 0);
skel.data.enabled = false; // the program reads it on its next call: this kill(2) is not seen
process.kill(process.pid, 0);
skel.data.enabled = true;
console.log(
  `kill(2) calls seen while enabled: ${skel.bss.kills_seen}, signal 0's count from 100: ${skel.bss.by_signal[0]}`,
);

const seen: kill_event[] = [];
for await (const event of skel.events.events) {
  seen.push(event);
  if (seen.length === 3) break;
}
for (const event of seen)
  console.log(`${event.comm} (${event.sender_tgid}) sent signal ${event.sig} to ${event.target_pid}`);
