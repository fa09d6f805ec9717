import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { STATX_SIZE } from '../src/backend.js';
import { type BackendName, Errno, getBackend, setBackend, statFile } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'bpfkit-stat-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  setBackend('koffi');
});

describe.each(['koffi', 'ffi-napi'] as BackendName[])('statFile (%s)', (ffi) => {
  it("gives the size, modification time and inode Node's statSync gives, following symbolic links", () => {
    setBackend(ffi);
    const path = join(dir, `${ffi}.bin`);
    writeFileSync(path, new Uint8Array(12_345));
    // A time with a fraction of a millisecond: both ways must compute mtimeMs the same.
    utimesSync(path, 1_700_000_000.123456, 1_700_000_000.987654);
    const link = join(dir, `${ffi}.link`);
    symlinkSync(path, link);
    const node = statSync(path);
    const expected = { size: 12_345, mtimeMs: node.mtimeMs, ino: node.ino, regular: true };
    expect(statFile(path)).toEqual(expected);
    expect(statFile(link)).toEqual(expected);
  });

  it('says a directory is not a regular file, and gives undefined for a missing path or one through a file', () => {
    setBackend(ffi);
    const sub = join(dir, `${ffi}-dir`);
    mkdirSync(sub);
    expect(statFile(sub)?.regular).toBe(false);
    expect(statFile(join(dir, 'missing'))).toBeUndefined();
    const file = join(dir, `${ffi}-file`);
    writeFileSync(file, 'x');
    expect(statFile(join(file, 'below'))).toBeUndefined(); // ENOTDIR
  });
});

describe('statFile without the backend call', () => {
  it("falls back to Node's statSync with the same numbers", () => {
    setBackend('koffi');
    const path = join(dir, 'fallback.bin');
    writeFileSync(path, 'abc');
    const withStatx = statFile(path);
    const { statx: _, ...withoutStatx } = getBackend();
    setBackend(withoutStatx);
    try {
      expect(statFile(path)).toEqual(withStatx);
    } finally {
      setBackend('koffi');
    }
  });
});

describe('the backend statx', () => {
  it('refuses a buffer shorter than a struct statx instead of letting the kernel write past it', () => {
    setBackend('koffi');
    const path = join(dir, 'short.bin');
    writeFileSync(path, 'abc');
    const statx = getBackend().statx;
    expect(statx).toBeDefined();
    const short = new Uint8Array(64).fill(0xaa);
    expect(statx?.(path, short)).toBe(-Errno.EINVAL);
    expect(short.every((byte) => byte === 0xaa)).toBe(true); // nothing written
    expect(statx?.(path, new Uint8Array(STATX_SIZE))).toBe(0);
  });
});
