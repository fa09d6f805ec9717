import { readdirSync } from 'node:fs';
import { BpfSyscallError, createMap } from '../src/index.js';

/**
 * Why kernel tests cannot run here, or `undefined` when bpf(2) works. Only a missing bpf(2)
 * (ENOSYS) or missing privilege (EPERM) counts; anything else is a real failure.
 */
export function bpfUnavailable(): string | undefined {
  try {
    createMap({ type: 2, keySize: 4, valueSize: 4, maxEntries: 1, name: 'probe' }).close();
    return undefined;
  } catch (error) {
    if (BpfSyscallError.is(error) && (error.errnoName === 'ENOSYS' || error.errnoName === 'EPERM')) {
      const reason = `bpf(2) is unavailable here (${error.errnoName}): ${error.hint}`;
      console.warn(`skipping kernel tests: ${reason}`);
      return reason;
    }
    throw error;
  }
}

/** Number of open file descriptors of this process. */
export function openFdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

/** A little-endian u32 as 4 bytes. */
export function u32(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value, true);
  return bytes;
}

/** A little-endian u64 as 8 bytes. */
export function u64(value: bigint): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, value, true);
  return bytes;
}

/** Encodes BPF instructions given as [code, dst, src, off, imm] (little-endian host). */
export function assemble(...instructions: [number, number, number, number, number][]): Uint8Array {
  const bytes = new Uint8Array(instructions.length * 8);
  const view = new DataView(bytes.buffer);
  instructions.forEach(([code, dst, src, off, imm], i) => {
    view.setUint8(i * 8, code);
    view.setUint8(i * 8 + 1, (src << 4) | dst);
    view.setInt16(i * 8 + 2, off, true);
    view.setInt32(i * 8 + 4, imm, true);
  });
  return bytes;
}
