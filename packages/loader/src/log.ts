/** Receives one libbpf-style line per step (`map 'outer': slot [0] set to map 'inner' fd=5`). */
export type LoadLogger = (line: string) => void;

/** A logger that drops everything. */
export const silent: LoadLogger = () => {};
