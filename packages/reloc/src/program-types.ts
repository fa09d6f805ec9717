/** `BPF_F_*` program load flags this package sets. */
export const ProgramFlag = {
  /** `BPF_F_SLEEPABLE` */
  SLEEPABLE: 0x10,
  /** `BPF_F_XDP_HAS_FRAGS` */
  XDP_HAS_FRAGS: 0x20,
} as const;
