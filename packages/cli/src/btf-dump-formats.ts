/** The output formats of `btf dump`: C declarations, bpftool's JSON, bpftool's raw listing. */
export const btfDumpFormats = ['c', 'json', 'raw'] as const;

/** One of {@link btfDumpFormats}. */
export type BtfDumpFormat = (typeof btfDumpFormats)[number];
