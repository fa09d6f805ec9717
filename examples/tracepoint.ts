// Attaches to syscalls/sys_enter_kill, calls kill(2) a few times, and reads the per-process
// counts back through BTF. Run: npx tsx examples/tracepoint.ts
import { fileURLToPath } from 'node:url';
import { BpfObject } from '@bpfkit/loader';

using obj = BpfObject.open(fileURLToPath(new URL('tracepoint.bpf.o', import.meta.url)));
obj.load();
using link = obj.program('count_kill').attach();
for (let i = 0; i < 3; i++) process.kill(process.pid, 0);
const kills = obj.map('kills');
console.log(`attached via ${link.kind}; kill(2) calls by this process: ${kills.get(process.pid)}`);
