import { Errno } from './errno.js';
import { BpfSyscallError } from './errors.js';

const { readFileSync } = process.getBuiltinModule('node:fs');

/** Where the kernel lists the CPUs it may ever bring up (`0-3`, `0,2-5`). */
export const POSSIBLE_CPUS_PATH = '/sys/devices/system/cpu/possible';

let possibleCount: number | undefined;

/**
 * How many CPUs the kernel may bring up: the number of values a per-CPU map holds per key,
 * and so the multiplier of every per-CPU value buffer. The possible set is fixed at boot,
 * so the file is read once per process.
 * @throws {@link BpfSyscallError} (command `possible-cpus`, with the path) when the file
 * cannot be read or parsed: guessing would size per-CPU buffers too small.
 */
export function possibleCpus(): number {
  possibleCount ??= readPossibleCpus();
  return possibleCount;
}

function readPossibleCpus(): number {
  return readCpuList(POSSIBLE_CPUS_PATH, 'possible-cpus').length;
}

/** The CPUs a sysfs CPU list file names; `command` names the failure. */
function readCpuList(path: string, command: string): number[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const errno = (error as { errno?: unknown }).errno;
    throw new BpfSyscallError(command, typeof errno === 'number' ? Math.abs(errno) : Errno.EIO, { path });
  }
  const cpus = parseCpuList(text);
  if (cpus === undefined) throw new BpfSyscallError(command, Errno.EINVAL, { path });
  return cpus;
}

/**
 * The number of CPUs in a kernel CPU list (`0-3,8,10-11`): one range or number per comma;
 * `undefined` when the text is not such a list.
 */
export function countCpuList(text: string): number | undefined {
  return parseCpuList(text)?.length;
}

/** The largest range a CPU list may name (the kernel's NR_CPUS limit is 8192): larger text is not a CPU list. */
const MAX_CPU_RANGE = 8192;

/**
 * The CPU numbers of a kernel CPU list (`0-3,8,10-11` → 0, 1, 2, 3, 8, 10, 11), in the
 * list's order; `undefined` when the text is not such a list.
 */
export function parseCpuList(text: string): number[] | undefined {
  const cpus: number[] = [];
  for (const part of text.trim().split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (match === null) return undefined;
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (last < first || last - first > MAX_CPU_RANGE) return undefined;
    for (let cpu = first; cpu <= last; cpu++) cpus.push(cpu);
  }
  return cpus;
}

/** Where the kernel lists the CPUs that are up now. */
export const ONLINE_CPUS_PATH = '/sys/devices/system/cpu/online';

/**
 * The CPUs that are up now (read each call: CPUs come and go): where per-CPU perf events
 * are opened, as `perf` and bcc's `profile` do.
 * @throws {@link BpfSyscallError} (command `online-cpus`, with the path) when the file
 * cannot be read or parsed.
 */
export function onlineCpus(): number[] {
  return readCpuList(ONLINE_CPUS_PATH, 'online-cpus');
}
