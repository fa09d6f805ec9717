import { syscallWrapperSymbol } from '@bpfkit/reloc';
import { kernelSymbolAddress } from '@bpfkit/reloc/node';
import { LinkError } from './errors.js';
import { attachKprobe } from './kprobe.js';
import type { Link } from './link.js';
import type { PerfEventLinkOptions } from './perf-event.js';

/** Options for {@link attachKsyscall}. */
export interface KsyscallOptions extends PerfEventLinkOptions {
  /** Probe the syscall's return (`kretsyscall`). */
  readonly retprobe?: boolean;
}

/**
 * The kernel function behind syscall `name`: the architecture's wrapper
 * (`__x64_sys_openat`) when the kernel has syscall wrappers (the bpf syscall's wrapper is
 * in `/proc/kallsyms`), else `sys_openat`, as libbpf decides.
 */
export function syscallFunction(name: string, arch: string = process.arch): string {
  const wrapper = syscallWrapperSymbol(arch);
  if (wrapper !== undefined && kernelSymbolAddress(wrapper) !== undefined) {
    return wrapper.replace(/bpf$/, name);
  }
  return `sys_${name}`;
}

/**
 * Attaches a `ksyscall` (or, with `retprobe`, `kretsyscall`) program to syscall `name`
 * (`openat`): a kprobe on the syscall's kernel function, {@link syscallFunction}.
 * @throws {@link LinkError} as {@link attachKprobe} does.
 */
export function attachKsyscall(programFd: number, name: string, options: KsyscallOptions = {}): Link {
  if (!/^\w+$/.test(name)) {
    throw new LinkError('bad-target', 'not a syscall name', { kind: 'ksyscall', target: name });
  }
  return attachKprobe(programFd, syscallFunction(name), options);
}
