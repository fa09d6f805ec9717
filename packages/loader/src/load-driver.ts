import { type LoadedProgram, loadProgram, loadProgramInBackground, type ProgramLoadOptions } from '@bpfkit/syscall';
import { LoadError } from './errors.js';

/**
 * A load written once as a generator: it yields each BPF_PROG_LOAD it needs and is given
 * the loaded program, or has the call's error thrown in where it yielded. The two drivers
 * below run the same sequence, so both keep its ordering, its errors and its clean-up.
 */
export type LoadSequence<T> = Generator<ProgramLoadOptions, T, LoadedProgram>;

/** Runs `sequence` with every program load in place (the event loop waits). */
export function runInPlace<T>(sequence: LoadSequence<T>): T {
  let step = sequence.next();
  while (!step.done) {
    let loaded: LoadedProgram;
    try {
      loaded = loadProgram(step.value);
    } catch (error) {
      step = sequence.throw(error);
      continue;
    }
    step = sequence.next(loaded);
  }
  return step.value;
}

/**
 * Runs `sequence` with every program load on a libuv pool thread, so the event loop keeps
 * running while the verifier works. `signal` is checked before each load and after it: once
 * aborted, a {@link LoadError} `cancelled` is thrown into the sequence (which closes what it
 * opened, the program that just loaded included) and the promise rejects with it.
 */
export async function runInBackground<T>(
  sequence: LoadSequence<T>,
  object: string,
  signal: AbortSignal | undefined,
): Promise<T> {
  const cancelled = () =>
    new LoadError('cancelled', 'the load was cancelled', { object }, { cause: signal?.reason, causeInMessage: false });
  if (signal?.aborted) throw cancelled(); // before the sequence starts: nothing to close
  let step = sequence.next();
  while (!step.done) {
    if (signal?.aborted) {
      step = sequence.throw(cancelled());
      continue;
    }
    let loaded: LoadedProgram;
    try {
      loaded = await loadProgramInBackground(step.value);
    } catch (error) {
      step = sequence.throw(error);
      continue;
    }
    if (signal?.aborted) {
      loaded.fd.close();
      step = sequence.throw(cancelled());
      continue;
    }
    step = sequence.next(loaded);
  }
  return step.value;
}
