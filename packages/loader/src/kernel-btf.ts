import { type Btf, parseBtf } from '@bpfkit/btf';
import { listModuleBtf, readKernelBtf, readModuleBtf } from '@bpfkit/btf/node';
import { btfData, mapFileReadOnly, objectFdById, programInfo } from '@bpfkit/syscall';

const { readFileSync } = process.getBuiltinModule('node:fs');

/**
 * Reads a kernel BTF file by mapping it read-only where the kernel allows (vmlinux on
 * 6.15+: the kernel's own pages, no copy), else with one `fs` read. Nothing in bpfkit
 * writes to parsed BTF bytes, which is what makes a read-only mapping safe to hand out.
 */
function mapOrRead(path: string): Uint8Array {
  try {
    return mapFileReadOnly(path).bytes;
  } catch {
    return new Uint8Array(readFileSync(path));
  }
}

/** The running kernel's BTF, parsed once per process and shared by every object. */
export function runningKernelBtf(): Btf {
  return readKernelBtf(undefined, { read: mapOrRead });
}

let modules: readonly Btf[] | undefined;

/**
 * The BTF of every loaded kernel module (split on {@link runningKernelBtf}), read on first
 * use and kept for the process: CO-RE searches them for types vmlinux lacks. A module
 * loaded later is not seen.
 */
export function runningModuleBtfs(): readonly Btf[] {
  modules ??= listModuleBtf().map((module) => readModuleBtf(module, undefined, { read: mapOrRead }));
  return modules;
}

/**
 * The BTF a loaded BPF program was loaded with (what a `freplace` program's target function
 * is looked up in), or `undefined` when it has none.
 */
export function loadedProgramBtf(programFd: number): Btf | undefined {
  const id = programInfo(programFd).btfId;
  if (id === 0) return undefined;
  const fd = objectFdById('btf', id);
  if (fd === undefined) return undefined;
  try {
    return parseBtf(btfData(fd.fd), { name: `BTF of program fd ${programFd}` });
  } finally {
    fd.close();
  }
}
