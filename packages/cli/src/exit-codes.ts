/** Exit statuses of the bpfkit command. */
export const ExitCode = {
  /** Everything worked. */
  OK: 0,
  /** The kernel refused something (load, verifier, attach, map access). */
  KERNEL: 1,
  /** The input is wrong: a malformed or invalid object, an unknown map or program, bad arguments. */
  INPUT: 2,
  /** bpfkit failed in a way it does not expect: a bug, reported with its stack. */
  BUG: 3,
} as const;
