// Prints every program started on the machine, as bcc's execsnoop does: attaches to the
// syscalls/sys_enter_execve tracepoint and reads its ring buffer, each record decoded
// through the BTF of `struct event`. Ctrl-C stops it. Run: npx tsx examples/execsnoop.ts
import { fileURLToPath } from 'node:url';
import { BpfObject } from '@bpfkit/loader';

interface ExecEvent {
  readonly pid: number;
  readonly uid: number;
  readonly argc: number;
  readonly comm: string;
  readonly filename: string;
  readonly argv: readonly string[];
}

using obj = BpfObject.open(fileURLToPath(new URL('execsnoop.bpf.o', import.meta.url)));
obj.load();
const events = obj.ringBuffer('events', { type: 'event' });
obj.program('execve_enter').attach();

const stop = new AbortController();
process.once('SIGINT', () => stop.abort());
process.once('SIGTERM', () => stop.abort());
stop.signal.addEventListener('abort', () => events.close());

console.log(`${'PCOMM'.padEnd(16)} ${'PID'.padStart(7)} ${'UID'.padStart(5)} ARGS`);
for await (const record of events) {
  const e = record as unknown as ExecEvent;
  const args = e.argc > 0 ? e.argv.slice(0, e.argc).join(' ') : e.filename;
  console.log(`${e.comm.padEnd(16)} ${String(e.pid).padStart(7)} ${String(e.uid).padStart(5)} ${args}`);
}
