import { EventsError } from './errors.js';

const { readFileSync } = process.getBuiltinModule('node:fs');

/** Where the kernel lists the CPUs that are up (`0-3`, `0,2-5`). */
const ONLINE_CPUS_PATH = '/sys/devices/system/cpu/online';

/**
 * The CPUs in a kernel CPU list (`0-3,8,10-11`), in order.
 * @throws {@link EventsError} `kernel` when the text is not such a list.
 */
export function parseCpuList(text: string): number[] {
  const cpus: number[] = [];
  for (const part of text.trim().split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part);
    const first = Number(match?.[1]);
    const last = match?.[2] === undefined ? first : Number(match[2]);
    if (match === null || last < first) {
      throw new EventsError('kernel', `'${text.trim()}' is not a CPU list (${ONLINE_CPUS_PATH})`);
    }
    for (let cpu = first; cpu <= last; cpu++) cpus.push(cpu);
  }
  return cpus;
}

/** The CPUs that are online now: perf events can be opened only on those (as libbpf does). */
export function onlineCpus(): number[] {
  return parseCpuList(readFileSync(ONLINE_CPUS_PATH, 'utf8'));
}
