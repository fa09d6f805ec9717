import type { Btf } from '@bpfkit/btf';

/** libbpf's prefix of syscall wrappers per architecture, keyed by Node's `process.arch` names. */
const prefixes: Readonly<Record<string, string>> = {
  x64: 'x64',
  ia32: 'ia32',
  s390x: 's390x',
  arm: 'arm',
  arm64: 'arm64',
  mips: 'mips',
  mipsel: 'mips',
  riscv64: 'riscv',
  ppc64: 'powerpc',
};

/** The wrapper of the bpf syscall on `arch` (`__x64_sys_bpf`); `undefined` where libbpf knows none. */
export function syscallWrapperSymbol(arch: string): string | undefined {
  const prefix = prefixes[arch];
  return prefix === undefined ? undefined : `__${prefix}_sys_bpf`;
}

/**
 * Whether the kernel's syscalls go through per-architecture wrappers taking a `pt_regs`
 * (`LINUX_HAS_SYSCALL_WRAPPER`, which `BPF_KSYSCALL` programs read): true when the wrapper of
 * the bpf syscall exists, as a function of the kernel's BTF or a symbol `address` knows.
 * (libbpf asks by creating a kprobe on it, so it answers false on kernels without kprobes.)
 */
export function hasSyscallWrapper(arch: string, kernel: Btf, address: (name: string) => bigint | undefined): boolean {
  const symbol = syscallWrapperSymbol(arch);
  if (symbol === undefined) return false;
  return kernel.byName(symbol, 'func') !== undefined || address(symbol) !== undefined;
}
