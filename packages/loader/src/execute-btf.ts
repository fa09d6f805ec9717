import { type Btf, fixupDatasecs, fixupKsyms, parseBtf, placeDatasecVariables, reencode } from '@bpfkit/btf';
import type { ElfFile } from '@bpfkit/elf';
import type { MapSpec } from '@bpfkit/maps';
import { BpfSyscallError, type Fd, loadBtf } from '@bpfkit/syscall';
import type { LoadLogger } from './log.js';
import type { ResourceScope } from './scope.js';

/**
 * Loads the object's BTF (DATASECs fixed up, `.kconfig` externs placed as the map lays
 * them out, `.ksyms` made acceptable to the kernel, re-encoded) and returns its fd and the fixed-up BTF itself,
 * or `undefined` when the object has none or the kernel refuses it: BTF is optional for
 * maps and programs, so that is logged, as libbpf does, and the load goes on without it.
 */
export function loadObjectBtf(
  elf: ElfFile,
  btf: Btf | undefined,
  maps: readonly MapSpec[],
  scope: ResourceScope,
  log: LoadLogger,
): { fd: Fd | undefined; fixed: Btf | undefined } {
  if (btf === undefined) return { fd: undefined, fixed: undefined };
  const types = fixupDatasecs(btf, elf);
  const kconfig = maps.find((m) => m.source === 'kconfig');
  if (kconfig !== undefined) placeDatasecVariables(types, '.kconfig', kconfig.externs, kconfig.valueSize);
  fixupKsyms(types);
  const bytes = reencode(types, btf);
  // The fixed-up BTF also types the maps' values (DATASEC offsets and sizes included).
  const fixed = parseBtf(bytes, elf.name === undefined ? {} : { name: elf.name });
  try {
    const fd = scope.own(loadBtf(bytes, elf.name ?? 'object'));
    log(`BTF loaded (${bytes.length} bytes), fd=${fd.fd}`);
    return { fd, fixed };
  } catch (error) {
    if (!BpfSyscallError.is(error)) throw error;
    log(`Error loading .BTF into kernel: ${error.errnoName}. BTF is optional, ignoring.`);
    for (const line of error.log.slice(-3)) log(`  ${line}`);
    return { fd: undefined, fixed };
  }
}
