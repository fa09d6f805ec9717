// Pinning the calling thread (Node's main thread) to one CPU through libc, as the C harness
// pins itself with sched_setaffinity for the perf buffer rows (bench/events.ts).
import koffi from 'koffi';

/** Bytes of a CPU mask: glibc's cpu_set_t, 1024 CPUs. */
const MASK_BYTES = 128;

/** libc's affinity calls (pid 0: the calling thread). */
interface Affinity {
  getaffinity(pid: number, size: number, mask: Uint8Array): number;
  setaffinity(pid: number, size: number, mask: Uint8Array): number;
  getcpu(): number;
}

let affinity: Affinity | undefined;

function libc(): Affinity {
  if (affinity === undefined) {
    const lib = koffi.load('libc.so.6');
    affinity = {
      getaffinity: lib.func('int sched_getaffinity(int pid, unsigned long size, _Out_ uint8_t *mask)'),
      setaffinity: lib.func('int sched_setaffinity(int pid, unsigned long size, const uint8_t *mask)'),
      getcpu: lib.func('int sched_getcpu(void)'),
    };
  }
  return affinity;
}

/** The CPUs the calling thread may run on, as a mask. */
function allowedMask(): Uint8Array {
  const mask = new Uint8Array(MASK_BYTES);
  if (libc().getaffinity(0, MASK_BYTES, mask) !== 0) throw new Error('bench: sched_getaffinity failed');
  return mask;
}

/** The CPUs the calling thread may run on, lowest first. */
function allowedCpus(): number[] {
  const mask = allowedMask();
  const cpus: number[] = [];
  for (let cpu = 0; cpu < MASK_BYTES * 8; cpu++) {
    if (((mask[cpu >> 3] as number) & (1 << (cpu & 7))) !== 0) cpus.push(cpu);
  }
  return cpus;
}

/** The highest-numbered CPU the calling thread may run on (the C harness picks the same). */
export function lastAllowedCpu(): number {
  const cpu = allowedCpus().at(-1);
  if (cpu === undefined) throw new Error('bench: the thread may run on no CPU');
  return cpu;
}

/** The lowest-numbered CPU the calling thread may run on other than `cpu` (the C harness picks the same). */
export function otherAllowedCpu(cpu: number): number {
  const other = allowedCpus().find((allowed) => allowed !== cpu);
  if (other === undefined) throw new Error(`bench: the thread may run on no CPU but ${cpu}`);
  return other;
}

/**
 * Pins the calling thread to `cpu` and checks it runs there; returns a function that gives
 * it back the CPUs it could run on before.
 */
export function pinThread(cpu: number): () => void {
  const before = allowedMask();
  const pinned = new Uint8Array(MASK_BYTES);
  pinned[cpu >> 3] = 1 << (cpu & 7);
  if (libc().setaffinity(0, MASK_BYTES, pinned) !== 0) throw new Error(`bench: pinning to CPU ${cpu} failed`);
  const restore = () => {
    if (libc().setaffinity(0, MASK_BYTES, before) !== 0) throw new Error('bench: restoring the CPU mask failed');
  };
  if (libc().getcpu() !== cpu) {
    restore();
    throw new Error(`bench: pinned to CPU ${cpu}, running on CPU ${libc().getcpu()}`);
  }
  return restore;
}
