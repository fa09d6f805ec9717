import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ElfError } from '@bpfkit/elf';
import { fixture } from '@bpfkit/fixtures';
import { getBackend, setBackend } from '@bpfkit/syscall';
import { describe, expect, it } from 'vitest';
import { BpfObject, LoadError } from '../src/index.js';
import { bpfUnavailable, openFdCount, readU32 } from './kernel.js';
import { recordingBackend, stillAlive } from './recording-backend.js';

const unavailable = bpfUnavailable();
const slow = fixture('slow_verify').path;
/** ffi-napi runs "background" calls in place (its async calls crash terminated workers): nothing overlaps them. */
const inPlaceBackend = unavailable === undefined && getBackend().name === 'ffi-napi';

/** Runs `work` while a 1 ms interval counts its ticks; returns the count. */
async function ticksDuring(work: () => Promise<unknown> | unknown): Promise<number> {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  try {
    await work();
    return ticks;
  } finally {
    clearInterval(timer);
  }
}

describe('BpfObject.openAsync', () => {
  it('reads the file without blocking and gives what open gives', async () => {
    const opened = await BpfObject.openAsync(slow);
    expect(opened.name).toBe('slow_verify.el.o');
    expect(opened.programs.map((p) => p.name)).toEqual(BpfObject.open(slow).programs.map((p) => p.name));
    expect(opened.maps.map((m) => m.name)).toEqual(['heads']);
  });

  it('rejects with the read error for a missing file, and with an ElfError for bytes that are not ELF', async () => {
    await expect(BpfObject.openAsync(join(tmpdir(), 'no-such-object.o'))).rejects.toMatchObject({ code: 'ENOENT' });
    const notElf = join(tmpdir(), `bpfkit-not-elf-${process.pid}.o`);
    writeFileSync(notElf, 'not an ELF file');
    const rejection = await BpfObject.openAsync(notElf).catch((error: unknown) => error);
    expect(ElfError.is(rejection)).toBe(true);
  });
});

describe.skipIf(unavailable !== undefined)('BpfObject.loadAsync', () => {
  it.skipIf(inPlaceBackend)(
    'keeps the event loop running while the verifier works, where load() blocks it',
    async () => {
      const inPlace = BpfObject.open(slow);
      expect(await ticksDuring(() => inPlace.load())).toBe(0);
      inPlace.close();
      const obj = await BpfObject.openAsync(slow);
      expect(await ticksDuring(() => obj.loadAsync())).toBeGreaterThan(0);
      try {
        // Loaded for real: the quick program writes the map the object created.
        obj.program('mark_quickly').testRun({ data: new Uint8Array(64) });
        expect(readU32(obj.map('heads').lookup(new Uint8Array(4)))).toBe(30_001);
        expect(obj.program('walk_slowly').fd).toBeGreaterThan(0);
      } finally {
        obj.close();
      }
    },
  );

  it('fails as load() fails: a verifier rejection names the program, instruction and source line', async () => {
    const before = openFdCount();
    const [inPlace, background] = [
      BpfObject.open(fixture('bad_verifier').path),
      BpfObject.open(fixture('bad_verifier').path),
    ];
    const thrown = (() => {
      try {
        inPlace.load();
      } catch (error) {
        return error as LoadError;
      }
    })();
    const rejected = (await background.loadAsync().catch((error: unknown) => error)) as LoadError;
    expect(LoadError.is(rejected)).toBe(true);
    expect(rejected.step).toBe('load-program');
    expect(rejected.message).toBe(thrown?.message);
    expect(rejected.context).toEqual(thrown?.context);
    expect(openFdCount()).toBe(before);
    await expect(background.loadAsync()).rejects.toMatchObject({ code: 'use' });
  });

  it.skipIf(inPlaceBackend)('cancelled by its signal mid-verify, closes every map and program it opened', async () => {
    const real = getBackend();
    const recorder = recordingBackend(real, -1, 0);
    const before = openFdCount();
    const obj = await BpfObject.openAsync(slow);
    const controller = new AbortController();
    setBackend(recorder);
    try {
      // Aborted on the first tick: the slow program is in the verifier by then.
      const timer = setTimeout(() => controller.abort(new Error('shutting down')), 1);
      const rejected = (await obj.loadAsync({ signal: controller.signal }).catch((e: unknown) => e)) as LoadError;
      clearTimeout(timer);
      expect(LoadError.is(rejected)).toBe(true);
      expect(rejected.step).toBe('cancelled');
      expect((rejected.cause as Error).message).toBe('shutting down');
    } finally {
      setBackend(real);
    }
    // It had created the map and loaded the slow program before it stopped.
    expect(recorder.created.map((c) => c.kind)).toEqual(expect.arrayContaining(['map', 'program']));
    expect(openFdCount()).toBe(before);
    expect(await stillAlive(recorder.created)).toEqual([]);
    expect(() => obj.map('heads')).toThrow(/failed, not loaded/);
  });

  it('with a signal already aborted, starts nothing and the object can still load', async () => {
    const obj = await BpfObject.openAsync(slow);
    await expect(obj.loadAsync({ signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'cancelled' });
    await obj.loadAsync();
    obj.close();
  });

  it.skipIf(inPlaceBackend)('closed while loading, ends the load and closes what it opened', async () => {
    const before = openFdCount();
    const obj = await BpfObject.openAsync(slow);
    const loading = obj.loadAsync();
    setTimeout(() => obj.close(), 1);
    await expect(loading).rejects.toMatchObject({ code: 'cancelled' });
    expect(openFdCount()).toBe(before);
    expect(() => obj.program('walk_slowly')).toThrow(/closed, not loaded/);
  });
});
