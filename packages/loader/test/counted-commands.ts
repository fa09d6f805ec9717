import { type BpfBackend, getBackend, setBackend } from '@bpfkit/syscall';

/** Runs `work` through a backend that counts the bpf(2) commands it sends, by command. */
export function countedCommands(work: () => void): Map<number, number> {
  const real = getBackend();
  const counts = new Map<number, number>();
  const counter: BpfBackend = {
    ...real,
    bpf(command: number, attr: Uint8Array, size: number) {
      counts.set(command, (counts.get(command) ?? 0) + 1);
      return real.bpf(command, attr, size);
    },
  };
  setBackend(counter);
  try {
    work();
  } finally {
    setBackend(real);
  }
  return counts;
}
