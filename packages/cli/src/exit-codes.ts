/** Exit statuses of the bpfkit command. */
export const ExitCode = {
  /** Everything worked. */
  OK: 0,
  /** The kernel refused something (load, verifier, attach, map access). */
  KERNEL: 1,
  /** The input is wrong: a malformed or invalid object, an unknown map or program, bad arguments. */
  INPUT: 2,
} as const;
