import { type Btf, fixupDatasecs, reencode } from '@bpfkit/btf';
import type { ElfFile } from '@bpfkit/elf';
import { BpfSyscallError, type Fd, loadBtf } from '@bpfkit/syscall';
import type { LoadLogger } from './log.js';
import type { ResourceScope } from './scope.js';

/**
 * Loads the object's BTF (DATASECs fixed up, re-encoded in host order) and returns its fd,
 * or `undefined` when the object has none or the kernel refuses it: BTF is optional for
 * maps and programs, so that is logged, as libbpf does, and the load goes on without it.
 */
export function loadObjectBtf(
  elf: ElfFile,
  btf: Btf | undefined,
  scope: ResourceScope,
  log: LoadLogger,
): Fd | undefined {
  if (btf === undefined) return undefined;
  const types = fixupDatasecs(btf, elf);
  const bytes = reencode(types, btf);
  try {
    const fd = scope.own(loadBtf(bytes, elf.name ?? 'object'));
    log(`BTF loaded (${bytes.length} bytes), fd=${fd.fd}`);
    return fd;
  } catch (error) {
    if (!BpfSyscallError.is(error)) throw error;
    log(`Error loading .BTF into kernel: ${error.errnoName}. BTF is optional, ignoring.`);
    for (const line of error.log.slice(-3)) log(`  ${line}`);
    return undefined;
  }
}
