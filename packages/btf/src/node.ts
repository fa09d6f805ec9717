/**
 * Node-only access to the running kernel's BTF: `/sys/kernel/btf/vmlinux` and the module
 * BTFs beside it, each read and parsed once per process and cached.
 *
 * @module @bpfkit/btf/node
 */
import { type Btf, type ParseBtfOptions, parseBtf } from '@bpfkit/btf';

const { readdirSync, readFileSync } = process.getBuiltinModule('node:fs');
const { join } = process.getBuiltinModule('node:path');

/** Where the kernel exposes its BTF. */
export const KERNEL_BTF_DIR = '/sys/kernel/btf';

/** The running kernel's own BTF: the default of {@link readKernelBtf}, which every load may ask for. */
const VMLINUX_BTF_PATH = `${KERNEL_BTF_DIR}/vmlinux`;

const cache = new Map<string, Btf>();

/** How kernel BTF files are read; see {@link KernelBtfOptions.read}. */
export type KernelBtfReader = (path: string) => Uint8Array;

/** Options for {@link readKernelBtf} and {@link readModuleBtf}. */
export interface KernelBtfOptions {
  /**
   * Reads a BTF file on the first load of each path (later calls hit the cache). The
   * default reads it with `fs`; `@bpfkit/loader` passes one that maps vmlinux read-only
   * instead (no copy, no read calls), which this package cannot do without an FFI.
   */
  readonly read?: KernelBtfReader;
}

const readWithFs: KernelBtfReader = (path) => new Uint8Array(readFileSync(path));

/** True for a path the kernel serves its own, already checked, BTF from. */
function servedByKernel(path: string): boolean {
  return path.startsWith(`${KERNEL_BTF_DIR}/`);
}

/**
 * Reads and parses the running kernel's vmlinux BTF file, once per process (or once per
 * `path`). BTF under {@link KERNEL_BTF_DIR} is parsed as {@link ParseBtfOptions.verified}; any
 * other path is checked in full. (To load BTF *into* the kernel, `@bpfkit/syscall` has `loadBtf`.)
 * @throws `BtfError` for malformed BTF, naming the path.
 * @example
 * ```ts
 * import { readKernelBtf } from '@bpfkit/btf/node';
 * const task = readKernelBtf().byName('task_struct', 'struct');
 * ```
 */
export function readKernelBtf(path = VMLINUX_BTF_PATH, options: KernelBtfOptions = {}): Btf {
  let btf = cache.get(path);
  if (btf === undefined) {
    btf = parseBtf((options.read ?? readWithFs)(path), { name: path, verified: servedByKernel(path) });
    cache.set(path, btf);
  }
  return btf;
}

/** The names of kernel modules that expose BTF (split on top of vmlinux). */
export function listModuleBtf(dir = KERNEL_BTF_DIR): string[] {
  return readdirSync(dir)
    .filter((name) => name !== 'vmlinux')
    .sort();
}

/** Reads and parses the split BTF of kernel module `module`, on top of vmlinux, once per process. */
export function readModuleBtf(module: string, dir = KERNEL_BTF_DIR, options: KernelBtfOptions = {}): Btf {
  const path = join(dir, module);
  let btf = cache.get(path);
  if (btf === undefined) {
    const base = readKernelBtf(join(dir, 'vmlinux'), options);
    btf = parseBtf((options.read ?? readWithFs)(path), { name: path, base, verified: servedByKernel(path) });
    cache.set(path, btf);
  }
  return btf;
}

/** Forgets every cached kernel BTF (for tests, or after loading a module). */
export function clearKernelBtfCache(): void {
  cache.clear();
}
