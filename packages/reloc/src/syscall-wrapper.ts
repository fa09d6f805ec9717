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
 * `LINUX_HAS_SYSCALL_WRAPPER` (which `BPF_KSYSCALL` programs read) as libbpf answers it:
 * libbpf asks by creating a kprobe on the bpf syscall's wrapper, so the answer is true when
 * the kernel can make kprobes (`kprobes`: a kprobe PMU or tracefs `kprobe_events`) and the
 * wrapper exists, as a function of the kernel's BTF or a symbol `address` knows. On a kernel
 * without kprobes it is false even though the wrapper exists: ksyscall programs cannot be
 * attached there, and the same answer keeps the verified instructions equal to libbpf's.
 */
export function hasSyscallWrapper(
  arch: string,
  kernel: Btf,
  address: (name: string) => bigint | undefined,
  kprobes: boolean,
): boolean {
  const symbol = syscallWrapperSymbol(arch);
  if (symbol === undefined || !kprobes) return false;
  return kernel.byName(symbol, 'func') !== undefined || address(symbol) !== undefined;
}
