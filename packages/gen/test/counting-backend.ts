import { type BpfBackend, Errno } from '@bpfkit/syscall';

/** The real backend, wrapped so that every native call (bpf, mmap, close, ioctl, …) is counted and `mmap` can be made to fail. */
export function countingBackend(real: BpfBackend, failMmap = false): { backend: BpfBackend; calls: string[] } {
  const calls: string[] = [];
  const backend = new Proxy(real, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(property));
        if (failMmap && property === 'mmap') return -Errno.ENOMEM;
        return Reflect.apply(value, target, args);
      };
    },
  });
  return { backend, calls };
}
