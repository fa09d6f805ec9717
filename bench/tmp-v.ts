import { readFileSync } from 'node:fs';
import { parseBtf } from '@bpfkit/btf';
const bytes = new Uint8Array(readFileSync('/sys/kernel/btf/vmlinux'));
const verified = process.argv[2] === 'v';
const decode = () => parseBtf(bytes, { verified }).decodeAll().length;
for (let i = 0; i < 100; i++) { decode(); await new Promise((r) => setImmediate(r)); }
const ts: number[] = [];
for (let i = 0; i < 300; i++) { const t = performance.now(); decode(); ts.push(performance.now() - t); await new Promise((r) => setImmediate(r)); }
ts.sort((a, b) => a - b);
console.log(verified ? 'verified' : 'checked', 'heap copy decode median', ts[150]?.toFixed(2));
