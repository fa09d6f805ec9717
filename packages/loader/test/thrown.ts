import { expect } from 'vitest';

/** The error `run` throws; the test fails when it throws nothing. */
export function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return expect.unreachable('no error thrown');
}
