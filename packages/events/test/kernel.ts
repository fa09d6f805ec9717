import { readdirSync, readFileSync } from 'node:fs';
import { fixture } from '@bpfkit/fixtures';
import { BpfObject } from '@bpfkit/loader';
import { BpfSyscallError, createMap } from '@bpfkit/syscall';

/** Why kernel tests cannot run here (no bpf(2) or no privilege), or `undefined`. */
export function bpfUnavailable(): string | undefined {
  try {
    createMap({ type: 2, keySize: 4, valueSize: 4, maxEntries: 1, name: 'probe' }).close();
    return undefined;
  } catch (error) {
    if (BpfSyscallError.is(error) && (error.errnoName === 'ENOSYS' || error.errnoName === 'EPERM'))
      return error.message;
    throw error;
  }
}

/** Number of open file descriptors of this process. */
export function openFdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

/** Number of this process's mappings of BPF objects (anon_inode:bpf-map) and perf events. */
export function eventMappings(): number {
  return readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .filter((line) => line.includes('bpf-map') || line.includes('[perf_event]')).length;
}

/** The events fixture, loaded. */
export function loadEvents(): BpfObject {
  const obj = BpfObject.open(fixture('events').path);
  obj.load();
  return obj;
}

/** The raw tracepoint context: u64 arguments. */
export function args(...values: number[]): Uint8Array {
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  for (const [i, value] of values.entries()) view.setBigUint64(i * 8, BigInt(value), true);
  return bytes;
}

/** The size the fixture gives record `seq` when sizes vary (8 to 256). */
export function recordSize(seq: number): number {
  return Math.min(((seq * 37) % 249) + 8, 256);
}
