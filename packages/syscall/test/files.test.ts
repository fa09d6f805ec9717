import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type BackendName, BpfSyscallError, mapFileReadOnly, setBackend } from '../src/index.js';
import { openFdCount } from './kernel.js';

const vmlinux = '/sys/kernel/btf/vmlinux';
const dir = mkdtempSync(join(tmpdir(), 'bpfkit-files-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  setBackend('koffi');
});

/** Whether `path` appears in this process's memory map. */
function isMapped(path: string): boolean {
  return readFileSync('/proc/self/maps', 'utf8').includes(path);
}

describe.each(['koffi', 'ffi-napi'] as BackendName[])('mapFileReadOnly (%s)', (ffi) => {
  it('maps a file read-only: same bytes as a read, no fd left open, gone after unmap', () => {
    setBackend(ffi);
    const path = join(dir, `${ffi}.bin`);
    const content = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 7) & 0xff);
    writeFileSync(path, content);
    const fds = openFdCount();
    const mapping = mapFileReadOnly(path);
    expect(openFdCount()).toBe(fds);
    expect(isMapped(path)).toBe(true);
    expect(mapping.bytes).toEqual(content);
    mapping.unmap();
    expect(isMapped(path)).toBe(false);
  });

  it('refuses an empty file with EINVAL naming the path, and closes it', () => {
    setBackend(ffi);
    const path = join(dir, `${ffi}-empty.bin`);
    writeFileSync(path, '');
    const fds = openFdCount();
    const error = (() => {
      try {
        mapFileReadOnly(path);
      } catch (e) {
        return e;
      }
    })();
    expect(BpfSyscallError.is(error) && error.errnoName).toBe('EINVAL');
    expect((error as BpfSyscallError).context.path).toBe(path);
    expect(openFdCount()).toBe(fds);
  });

  it.skipIf(!existsSync(vmlinux))("maps the kernel's BTF (6.15+), byte for byte what a read gives", () => {
    setBackend(ffi);
    const mapping = mapFileReadOnly(vmlinux);
    const bytes = mapping.bytes;
    const read = readFileSync(vmlinux);
    expect(bytes.length).toBe(read.length);
    expect(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).equals(read)).toBe(true);
    mapping.unmap();
  });
});
