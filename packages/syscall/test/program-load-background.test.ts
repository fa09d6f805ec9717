import { BpfCommand, ProgramType } from '@bpfkit/uapi';
import { describe, expect, it } from 'vitest';
import { Errno, getBackend, loadProgram, loadProgramInBackground, setBackend } from '../src/index.js';
import { assemble, bpfUnavailable, openFdCount } from './kernel.js';

const unavailable = bpfUnavailable();
/** ffi-napi runs "background" calls in place (its async calls crash terminated workers): nothing overlaps them. */
const inPlaceBackend = unavailable === undefined && getBackend().name === 'ffi-napi';

/** A socket filter the verifier walks `iterations` times round a bounded loop: slow to load, quick to write. */
function countingLoop(iterations: number): Uint8Array {
  return assemble(
    [0xb7, 0, 0, 0, 0], // r0 = 0
    [0x07, 0, 0, 0, 1], // r0 += 1
    [0xa5, 0, 0, -2, iterations], // if r0 < iterations goto -2
    [0x95, 0, 0, 0, 0], // exit
  );
}

/** Runs `work` while a 1 ms interval counts its ticks; returns the result and the count. */
async function ticksDuring<T>(work: () => Promise<T> | T): Promise<{ value: T; ticks: number }> {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  try {
    const value = await work();
    return { value, ticks };
  } finally {
    clearInterval(timer);
  }
}

describe.skipIf(unavailable !== undefined)('BPF_PROG_LOAD on a pool thread', () => {
  const slow = { type: ProgramType.SOCKET_FILTER, license: 'GPL', instructions: countingLoop(150_000) };

  it.skipIf(inPlaceBackend)(
    'keeps the event loop running while the verifier works, where the call in place blocks it',
    async () => {
      const inPlace = await ticksDuring(() => loadProgram(slow));
      inPlace.value.fd.close();
      expect(inPlace.ticks).toBe(0);
      const background = await ticksDuring(() => loadProgramInBackground(slow));
      expect(background.ticks).toBeGreaterThan(0);
      expect(background.value.fd.fd).toBeGreaterThan(0);
      background.value.fd.close();
    },
  );

  it('rejects as the call in place throws: the same errno and verifier log, and no fd left open', async () => {
    const before = openFdCount();
    const bad = { type: ProgramType.SOCKET_FILTER, license: 'GPL', instructions: assemble([0x95, 0, 0, 0, 0]) };
    let inPlace: unknown;
    try {
      loadProgram(bad);
    } catch (error) {
      inPlace = error;
    }
    await expect(loadProgramInBackground(bad)).rejects.toMatchObject({
      command: 'BPF_PROG_LOAD',
      errnoName: 'EACCES',
      log: (inPlace as { log: string[] }).log,
    });
    expect(openFdCount()).toBe(before);
  });

  it('returns the log it was asked for and sends again on EAGAIN, as the call in place does', async () => {
    const real = getBackend();
    let sends = 0;
    setBackend({
      ...real,
      bpfInBackground(command, attr, size, done) {
        if (command === BpfCommand.PROG_LOAD && ++sends <= 2) done(-Errno.EAGAIN);
        else real.bpfInBackground(command, attr, size, done);
      },
    });
    try {
      const program = await loadProgramInBackground({ ...slow, instructions: countingLoop(10), logLevel: 2 });
      expect(sends).toBe(3);
      expect(program.log.join('\n')).toMatch(/processed \d+ insns/);
      program.fd.close();
    } finally {
      setBackend(real);
    }
  });
});
