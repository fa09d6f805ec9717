import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BpfSyscallError, createMap } from '@bpfkit/syscall';

/** Why kernel tests cannot run, or `undefined` when bpf(2) works (only ENOSYS/EPERM count). */
export function bpfUnavailable(): string | undefined {
  try {
    createMap({ type: 2, keySize: 4, valueSize: 4, maxEntries: 1 }).close();
    return undefined;
  } catch (error) {
    if (BpfSyscallError.is(error) && (error.errnoName === 'ENOSYS' || error.errnoName === 'EPERM')) {
      console.warn(`skipping kernel tests: bpf(2) is unavailable (${error.errnoName}): ${error.hint}`);
      return error.errnoName;
    }
    throw error;
  }
}

/** Number of open file descriptors of this process. */
export function openFdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

/**
 * Waits (up to 10 s, returning as soon as nothing is left) for the kernel to free objects
 * whose last reference was closed: frees wait for RCU, and prog arrays are cleared by a
 * deferred work item, which can take seconds on a loaded machine.
 */
export async function settled(check: () => string[]): Promise<string[]> {
  let left = check();
  for (let i = 0; i < 200 && left.length > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    left = check();
  }
  return left;
}

/** Mounts a private bpffs in a temporary folder; returns it and an unmount function. */
export function privateBpffs(): { dir: string; unmount: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-bpffs-'));
  execFileSync('mount', ['-t', 'bpf', 'bpf', dir]);
  return {
    dir,
    unmount: () => {
      execFileSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A little-endian u32. */
export function u32(value: number): Uint8Array {
  return new Uint8Array(new Uint32Array([value]).buffer);
}

/** Reads a little-endian u32 from the start of `bytes`. */
export function readU32(bytes: Uint8Array | undefined): number | undefined {
  return bytes === undefined ? undefined : new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
}
